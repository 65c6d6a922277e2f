/**
 * The shop through the gateway's gRPC edge, with the repository's generated clients:
 * ts-proto's grpc-js clients (gen/ts) on port 9000, and protobuf-es descriptors (gen/es)
 * with Connect clients, as the README's example does. Real user-, product- and
 * order-service behind it, real tokens, WatchOrder streamed over gRPC and Connect, a
 * service's BadRequest reaching the client whole, internal RPCs refused.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentials, type ServiceError as GrpcError, Metadata } from "@grpc/grpc-js";
import { OrderStatus as EsOrderStatus, OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import {
  type CreateOrderRequest,
  type CreateOrderResponse,
  OrderServiceClient,
  OrderStatus,
  type WatchOrderResponse,
} from "@shop/gen/ts/shop/order/v1/order";
import {
  type ListProductsRequest,
  type ListProductsResponse,
  ProductServiceClient,
} from "@shop/gen/ts/shop/product/v1/product";
import { UserServiceClient } from "@shop/gen/ts/shop/user/v1/user";
import { ServiceError } from "@shop/libs/errors";
import { connectTestClient, grpcWebTestClient } from "../support/rpc-clients";
import { type ShopMesh, startShopMesh } from "../support/shop-mesh";

type Callback<T> = (error: GrpcError | null, response: T) => void;

/** A ts-proto unary method as a promise. */
function call<Req, Res>(
  method: (request: Req, metadata: Metadata, callback: Callback<Res>) => unknown,
  request: Req,
  metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, metadata, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

async function failure(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("the call succeeded");
}

const bearer = (token: string) => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
};

describe("the shop over gRPC and Connect through the gateway", () => {
  let mesh: ShopMesh;
  let customer: Awaited<ReturnType<ShopMesh["customer"]>>;
  let products: ProductServiceClient;
  let orders: OrderServiceClient;
  let users: UserServiceClient;

  beforeAll(async () => {
    mesh = await startShopMesh();
    customer = await mesh.customer();
    const address = `127.0.0.1:${mesh.gateway.grpcPort}`;
    products = new ProductServiceClient(address, credentials.createInsecure());
    orders = new OrderServiceClient(address, credentials.createInsecure());
    users = new UserServiceClient(address, credentials.createInsecure());
  }, 60_000);
  afterAll(async () => {
    for (const client of [products, orders, users]) client?.close();
    await mesh?.stop();
  });

  it("lists products, places an order and watches it over gRPC with the generated clients", async () => {
    const list = await call<ListProductsRequest, ListProductsResponse>(
      products.listProducts.bind(products),
      {
        pageSize: 5,
        pageToken: "",
        query: "",
        filter: undefined,
      },
    );
    expect(list.products.length).toBeGreaterThan(0);
    const product = list.products[0]!;

    const placed = await call<CreateOrderRequest, CreateOrderResponse>(
      orders.createOrder.bind(orders),
      {
        productId: product.id,
        quantity: 1,
        items: [],
        paymentToken: "",
        shippingAddress: undefined,
      } as CreateOrderRequest,
      bearer(customer.token),
    );
    expect(placed.order).toMatchObject({
      userId: customer.userId,
      status: OrderStatus.ORDER_STATUS_CONFIRMED,
    });

    const updates: WatchOrderResponse[] = [];
    const stream = orders.watchOrder({ orderId: placed.order!.id }, bearer(customer.token));
    for await (const update of stream) {
      updates.push(update as WatchOrderResponse);
      if ((update as WatchOrderResponse).order?.status === OrderStatus.ORDER_STATUS_CONFIRMED)
        break;
    }
    stream.cancel();
    expect(updates.at(-1)?.order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
  });

  it("watches an order over Connect, and serves catalog reads to Connect and gRPC-Web", async () => {
    const viaConnect = connectTestClient(ProductService, mesh.gateway.port);
    const { products: list } = await viaConnect.listProducts({ pageSize: 3 });
    expect(list.length).toBe(3);
    const web = grpcWebTestClient(ProductService, mesh.gateway.port);
    expect((await web.getProduct({ productId: list[0]!.id })).product?.id).toBe(list[0]!.id);

    // The README's example: protobuf-es descriptors and Connect's gRPC transport.
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${mesh.gateway.grpcPort}` });
    const orderClient = createClient(OrderService, transport);
    const headers = { authorization: `Bearer ${customer.token}` };
    const { order } = await orderClient.createOrder(
      { productId: list[1]!.id, quantity: 1 },
      { headers },
    );
    const cancel = new AbortController();
    let last: EsOrderStatus | undefined;
    for await (const update of orderClient.watchOrder(
      { orderId: order!.id },
      { headers, signal: cancel.signal },
    )) {
      last = update.order?.status;
      if (last === EsOrderStatus.CONFIRMED) break;
    }
    cancel.abort();
    expect(last).toBe(EsOrderStatus.CONFIRMED);
    const overConnect = connectTestClient(OrderService, mesh.gateway.port);
    const again = overConnect.watchOrder({ orderId: order!.id }, { headers });
    for await (const update of again) {
      expect(update.order?.id).toBe(order!.id);
      break;
    }
  });

  it("returns a service's BadRequest to a gRPC client with the same field violations", async () => {
    const error = await failure(
      call(users.register.bind(users), { email: "not-an-email", password: "short", name: "" }),
    );
    expect(error.code).toBe(3);
    const received = ServiceError.fromGrpc(error);
    expect(received.fieldViolations.map((v) => v.field)).toEqual(
      expect.arrayContaining(["email", "password"]),
    );
    // The same request over REST: the same violations, rendered as JSON.
    const rest = await mesh.call("POST", "/api/users/register", {
      body: { email: "not-an-email", password: "short" },
    });
    expect(
      rest.json.details[0].fieldViolations.map((v: { field: string; description: string }) => ({
        field: v.field,
        description: v.description,
      })),
    ).toEqual(
      received.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
    );
  });

  it("refuses a protected RPC without a token and an internal RPC to anyone", async () => {
    const anonymous = await failure(
      call(orders.listOrders.bind(orders), { pageSize: 1, pageToken: "" } as never),
    );
    expect(anonymous.code).toBe(16);
    const internal = await failure(
      call(
        products.reserveStock.bind(products),
        { reservationId: "r-1", items: [] } as never,
        bearer(customer.token),
      ),
    );
    expect(internal.code).toBe(12);
  });
});
