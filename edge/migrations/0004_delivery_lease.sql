-- An attempt in flight. Before it sends, a consumer claims the delivery by setting leased_until, and
-- only if no unexpired lease is held, so two queue messages of one delivery (a late redelivery, the
-- sweep's re-queue) never both reach the receiver. The lease expires, so an attempt that died midway
-- leaves the delivery to the cron sweep. Claims go by primary key: no index.
ALTER TABLE deliveries ADD COLUMN leased_until INTEGER;
