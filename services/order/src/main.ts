import { runMain } from "@shop/libs/service";
import { startOrderService } from "./order-service";

runMain(() => startOrderService({ env: process.env }));
