// Row types of the catalog tables (see migrations/0100_catalog.ts).
import type { IdentityTables } from '../../toolkit/index.ts';

export interface CatalogTables extends IdentityTables {
  products: {
    id: string;
    name: string;
    /** The name case-folded by the application, so search folds the same on every database. */
    name_folded: string;
    description: string;
    price: number;
    currency: string;
    created_at: number;
    updated_at: number;
    deleted_at: number | null;
  };
  orders: {
    id: string;
    owner_id: string;
    product_id: string;
    quantity: number;
    unit_price: number;
    total: number;
    currency: string;
    status: OrderStatus;
    created_at: number;
    cancelled_at: number | null;
  };
}

export type OrderStatus = 'placed' | 'cancelled';

/** The one currency the catalog sells in; prices are integer minor units (cents). */
export const CURRENCY = 'EUR';
