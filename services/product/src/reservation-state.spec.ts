import { planSettle, RESERVATION_STATES, type SettleAction } from "./reservation-state";

/** Each action from each state: the state it moves to, "done" (idempotent) or "refuse". */
const TABLE: Record<SettleAction, Record<string, string>> = {
  release: {
    RESERVED: "RELEASED",
    RELEASED: "done",
    EXPIRED: "done",
    COMMITTED: "refuse",
    RETURNED: "refuse",
  },
  commit: {
    RESERVED: "COMMITTED",
    COMMITTED: "done",
    RETURNED: "done",
    RELEASED: "refuse",
    EXPIRED: "refuse",
  },
  return: {
    COMMITTED: "RETURNED",
    RETURNED: "done",
    RESERVED: "refuse",
    RELEASED: "refuse",
    EXPIRED: "refuse",
  },
  expire: {
    RESERVED: "EXPIRED",
    RELEASED: "done",
    COMMITTED: "done",
    RETURNED: "done",
    EXPIRED: "done",
  },
};

describe("planSettle", () => {
  for (const [action, row] of Object.entries(TABLE) as [SettleAction, Record<string, string>][]) {
    for (const state of RESERVATION_STATES) {
      it(`${action} from ${state}: ${row[state]}`, () => {
        const plan = planSettle(action, state, "order-1");
        const outcome = plan.kind === "move" ? plan.to : plan.kind;
        expect(outcome).toBe(row[state]);
        if (plan.kind === "move") expect(plan.reason).toBe(plan.to);
        if (plan.kind === "refuse") {
          expect(plan.error.code).toBe(9);
          expect(plan.error.reason).toBe(`RESERVATION_${state}`);
          expect(plan.error.preconditionViolations[0]?.subject).toBe("order-1");
        }
      });
    }
  }
});
