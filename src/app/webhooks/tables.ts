// Row types of the webhook tables (see migrations/0103_webhooks.ts).

export const WEBHOOK_EVENTS = ['order.created', 'transfer.completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookTables {
  webhooks: {
    id: string;
    owner_id: string;
    url: string;
    events: string;
    secret: string;
    created_at: number;
  };
  webhook_deliveries: {
    id: string;
    webhook_id: string;
    event: string;
    payload: string;
    status: DeliveryStatus;
    attempts: number;
    next_attempt_at: number;
    lease_owner: string | null;
    last_status: number | null;
    last_error: string | null;
    response_excerpt: string | null;
    created_at: number;
    delivered_at: number | null;
  };
}
