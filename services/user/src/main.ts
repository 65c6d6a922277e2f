import { runMain } from "@shop/libs/service";
import { startUserService } from "./user-service";

runMain(() => startUserService({ env: process.env }));
