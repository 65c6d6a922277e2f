import { runMain } from "@shop/libs/service";
import { startGateway } from "./gateway";

runMain(() => startGateway({ env: process.env }));
