/**
 * The demo catalog `npm run dev` loads: a small shop across a few categories, with
 * ample stock so orders succeed on a fresh start. Prices in US cents.
 */

export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  category: string;
  tags: string[];
  stock: number;
}

/** A stable placeholder photo per sku. */
export const demoImageUrl = (sku: string): string =>
  `https://picsum.photos/seed/${encodeURIComponent(sku)}/640/640`;

const p = (
  sku: string,
  name: string,
  priceCents: number,
  category: string,
  tags: string[],
  description: string,
  stock = 500,
): DemoProduct => ({ sku, name, description, priceCents, category, tags, stock });

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  // Electronics
  p(
    "EL-HP-001",
    "Wireless Noise-Cancelling Headphones",
    19_900,
    "electronics",
    ["audio", "wireless", "bestseller"],
    "Over-ear Bluetooth headphones with active noise cancelling, 30-hour battery life and a fold-flat travel case.",
  ),
  p(
    "EL-SP-002",
    "Portable Bluetooth Speaker",
    5_900,
    "electronics",
    ["audio", "wireless", "outdoor"],
    "Waterproof speaker with 360-degree sound and 12 hours of playback; pairs two speakers for stereo.",
  ),
  p(
    "EL-KB-003",
    "Mechanical Keyboard",
    8_900,
    "electronics",
    ["computer", "gaming"],
    "Tenkeyless mechanical keyboard with hot-swappable tactile switches and white backlight.",
  ),
  p(
    "EL-MS-004",
    "Ergonomic Wireless Mouse",
    3_900,
    "electronics",
    ["computer", "wireless"],
    "Vertical mouse that keeps the wrist in a handshake position; silent clicks, USB-C charging.",
  ),
  p(
    "EL-CH-005",
    "USB-C Fast Charger 65W",
    3_400,
    "electronics",
    ["charging", "travel"],
    "Compact gallium-nitride charger with two USB-C ports and one USB-A port for laptop and phone.",
  ),
  p(
    "EL-WC-006",
    "4K Webcam",
    7_900,
    "electronics",
    ["computer", "video"],
    "Webcam with autofocus, low-light correction and dual microphones for clear video calls.",
  ),
  p(
    "EL-EB-007",
    "E-Reader with Warm Light",
    12_900,
    "electronics",
    ["reading", "travel"],
    "Glare-free 7-inch display with adjustable warm light, weeks of battery and waterproofing.",
  ),
  // Home & kitchen
  p(
    "HK-CM-008",
    "Pour-Over Coffee Maker",
    3_500,
    "home-kitchen",
    ["coffee", "glass"],
    "Borosilicate glass carafe with a stainless steel filter for bright, clean pour-over coffee.",
  ),
  p(
    "HK-KN-009",
    "Chef's Knife 8-inch",
    6_900,
    "home-kitchen",
    ["cooking", "steel", "bestseller"],
    "Forged high-carbon stainless steel chef's knife with a full tang and a balanced handle.",
  ),
  p(
    "HK-CI-010",
    "Cast Iron Skillet 10-inch",
    2_900,
    "home-kitchen",
    ["cooking", "cast-iron"],
    "Pre-seasoned cast iron skillet that goes from stovetop to oven to campfire.",
  ),
  p(
    "HK-KT-011",
    "Electric Gooseneck Kettle",
    7_400,
    "home-kitchen",
    ["coffee", "tea"],
    "Variable temperature kettle with a precise gooseneck spout and a keep-warm setting.",
  ),
  p(
    "HK-TW-012",
    "Organic Cotton Towel Set",
    4_900,
    "home-kitchen",
    ["bath", "organic"],
    "Six plush towels of long-staple organic cotton: two bath, two hand and two washcloths.",
  ),
  p(
    "HK-CN-013",
    "Soy Wax Candle, Cedar & Sage",
    2_200,
    "home-kitchen",
    ["decor", "gift"],
    "Hand-poured soy candle with cotton wick and a 50-hour burn; notes of cedarwood and sage.",
  ),
  // Books
  p(
    "BK-DS-014",
    "Designing Data-Intensive Applications",
    4_500,
    "books",
    ["software", "databases"],
    "The big ideas behind reliable, scalable and maintainable systems: replication, partitioning, transactions and streams.",
  ),
  p(
    "BK-SR-015",
    "Site Reliability Engineering",
    3_900,
    "books",
    ["software", "operations"],
    "How Google runs production systems: service level objectives, error budgets, on-call and postmortems.",
  ),
  p(
    "BK-CK-016",
    "Salt, Fat, Acid, Heat",
    3_000,
    "books",
    ["cooking", "bestseller"],
    "An illustrated guide to the four elements of good cooking, with recipes to practise each.",
  ),
  p(
    "BK-NV-017",
    "The Left Hand of Darkness",
    1_700,
    "books",
    ["fiction", "classic"],
    "Ursula K. Le Guin's novel of an envoy on the ice world Gethen, where people have no fixed gender.",
  ),
  // Outdoors
  p(
    "OD-TN-018",
    "Two-Person Backpacking Tent",
    24_900,
    "outdoors",
    ["camping", "lightweight"],
    "Freestanding tent under 2 kg with two doors, two vestibules and a full-coverage rainfly.",
  ),
  p(
    "OD-SB-019",
    "Down Sleeping Bag 0°C",
    18_900,
    "outdoors",
    ["camping", "lightweight"],
    "Mummy sleeping bag with 650-fill responsibly sourced down and a compression sack.",
  ),
  p(
    "OD-HL-020",
    "Rechargeable Headlamp",
    3_900,
    "outdoors",
    ["camping", "running"],
    "400-lumen headlamp with red night mode, USB-C charging and a lockout for the pack.",
  ),
  p(
    "OD-WB-021",
    "Insulated Water Bottle 750ml",
    2_900,
    "outdoors",
    ["hydration", "steel"],
    "Double-wall vacuum insulated bottle: cold for 24 hours, hot for 12, leak-proof lid.",
  ),
  p(
    "OD-TP-022",
    "Trekking Poles, Carbon",
    9_900,
    "outdoors",
    ["hiking", "lightweight"],
    "Three-section carbon fibre poles with cork grips and quick flick-lock adjustment.",
  ),
  // Apparel
  p(
    "AP-RJ-023",
    "Packable Rain Jacket",
    12_900,
    "apparel",
    ["waterproof", "travel"],
    "Breathable three-layer rain jacket that packs into its own pocket; fully taped seams.",
  ),
  p(
    "AP-MW-024",
    "Merino Wool T-Shirt",
    6_500,
    "apparel",
    ["merino", "travel", "bestseller"],
    "Soft 150 g/m² merino tee that regulates temperature and resists odour on long trips.",
  ),
  p(
    "AP-RS-025",
    "Trail Running Shoes",
    13_900,
    "apparel",
    ["running", "hiking"],
    "Grippy lugged outsole, rock plate and a roomy toe box for long days on the trail.",
  ),
  p(
    "AP-WS-026",
    "Wool Hiking Socks, 3 Pack",
    3_200,
    "apparel",
    ["merino", "hiking"],
    "Cushioned merino blend socks with a seamless toe and arch support.",
  ),
  // Sports & toys
  p(
    "SP-YM-027",
    "Natural Rubber Yoga Mat",
    7_800,
    "sports",
    ["yoga", "fitness"],
    "Non-slip 4 mm yoga mat of natural tree rubber with alignment lines.",
  ),
  p(
    "SP-KB-028",
    "Adjustable Kettlebell",
    14_900,
    "sports",
    ["fitness", "strength"],
    "One kettlebell that adjusts from 5 to 18 kg with a turn of the dial.",
  ),
  p(
    "TY-BB-029",
    "Wooden Building Blocks, 100 Pieces",
    3_900,
    "toys",
    ["kids", "wooden", "gift"],
    "Sustainably sourced beech wood blocks in natural and painted finishes, in a canvas bag.",
  ),
  p(
    "TY-PZ-030",
    "1000-Piece Jigsaw Puzzle, World Map",
    2_400,
    "toys",
    ["puzzle", "gift"],
    "A vintage-style world map puzzle with a poster for reference and a sorting tray.",
  ),
];
