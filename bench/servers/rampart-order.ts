// The order route's schemas for the Rampart rows: strict TypeBox params and response, the
// same fields as common.ts's ORDER_JSON_SCHEMA gives the Fastify stack.
import { Type } from '../../src/toolkit/index.ts';

const Order = Type.Object(
  {
    id: Type.String(),
    customerId: Type.String(),
    status: Type.String(),
    currency: Type.String(),
    totalCents: Type.Integer(),
    items: Type.Integer(),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);

export const ORDER_ROUTE_SCHEMA = {
  params: Type.Object({ id: Type.String({ pattern: '^ord_[0-9]{1,12}$' }) }, { additionalProperties: false }),
  response: { 200: Order },
};
