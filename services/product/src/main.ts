import { runMain } from "@shop/libs/service";
import { startProductService } from "./product-service";

runMain(() => startProductService({ env: process.env }));
