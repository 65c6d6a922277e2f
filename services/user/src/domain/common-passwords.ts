/**
 * The bundled list of common passwords a new password is checked against (NIST SP
 * 800-63B 5.1.1.2: "values known to be commonly-used"). Only entries of 8 characters or
 * more are listed, since shorter ones fail the length rule first. Matching ignores case,
 * and trivial patterns (one repeated character, a straight run like 12345678 or abcdefgh)
 * and word + year forms (summer2024, Welcome2023!) are recognised by rule rather than
 * listed.
 */

// From the most frequent entries of public breach corpora (SecLists' top lists),
// lower-cased, 8 characters or more.
const LISTED = `
password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword
passpass mypassword 1password password! password01 passwords
12345678 123456789 1234567890 12345678910 1234567891 0987654321 87654321 987654321
11111111 00000000 88888888 12121212 11223344 12341234 12344321 123123123 112233445566
147258369 741852963 963852741 123654789 159753123 147852369 1111111111 123456789a
a1234567 a12345678 abc12345 abcd1234 1234abcd asdf1234 1234qwer qwer1234 12345qwert
qwertyui qwertyuiop qwerty12 qwerty123 qwerty1234 qwerty123456 qwertyu1 1qwerty1
1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5 q1w2e3r4t5y6 1qaz2wsx 1qazxsw2
zaq12wsx zaq1zaq1 zaq1xsw2 qazwsxedc qazwsx123 123qweasd qweasdzxc zxcvbnm1 zxcvbnm123
asdfghjkl asdfasdf asdfghjk zxcvbnma 1234567a 12345678a 123456789q 123qwe123
iloveyou iloveyou1 iloveyou2 iloveu123 sunshine sunshine1 princess princess1
football football1 baseball baseball1 basketball soccer12 hockey12 volleyball
welcome1 welcome12 welcome123 letmein1 letmein123 trustno1 superman superman1
starwars starwars1 whatever whatever1 michelle jennifer jordan23 charlie1 computer
computer1 internet liverpool chelsea1 arsenal1 maverick mercedes corvette steelers
cowboys1 yankees1 dolphins mustang1 blink182 shadow12 master12 monkey12 dragon12
michael1 jessica1 ashley12 daniel12 spiderman batman123 hello123 hello1234 helloworld
admin123 admin1234 administrator changeme changeme1 changeit secret12 secret123
access14 1234567q abc123456 abcdefg1 babygirl1 lovely12 loveme12 iloveyou12
matthew1 jonathan jordan12 anthony1 chocolate cookie12 butterfly purple12 princesa
samantha victoria elizabeth alexander christian nicholas benjamin precious
qwe123qwe 123abc123 abc123abc aa123456 aa12345678 qq123456 1q2w3e1q2w3e
fuckyou1 fuckoff1 pussy123 letmeinnow access123 default1 guest123 user1234
test1234 testing1 testtest test12345 demo1234 sample123 temp1234 temppass
root1234 toor1234 oracle123 mysql123 postgres postgres1 database
shop1234 shopping shopping1 customer customer1 security security1
`;

const COMMON = new Set(LISTED.split(/\s+/).filter((p) => p.length >= 8));

// Words people pair with a year ("Summer2024!"): listed by rule, for every year 1950-2099.
const YEAR_WORDS = [
  "spring",
  "summer",
  "autumn",
  "winter",
  "password",
  "welcome",
  "qwerty",
  "admin",
  "letmein",
  "monkey",
  "dragon",
  "football",
  "love",
  "iloveyou",
];
const WORD_YEAR = new RegExp(`^(${YEAR_WORDS.join("|")})(19[5-9]\\d|20\\d\\d)[!.@#]?$`);

/** One character repeated, or a straight ascending or descending run of code points. */
function isTrivialPattern(password: string): boolean {
  const codes = [...password].map((c) => c.codePointAt(0)!);
  const steps = new Set(codes.slice(1).map((code, i) => code - codes[i]!));
  return steps.size === 1 && [0, 1, -1].includes([...steps][0]!);
}

/** Whether `password` is too common to accept as a new password (case ignored). */
export function isCommonPassword(password: string): boolean {
  const lowered = password.toLowerCase();
  return COMMON.has(lowered) || WORD_YEAR.test(lowered) || isTrivialPattern(lowered);
}
