-- Hotline work orders (issue 20).
--
-- `hotline_nonces`: the nonces of the signed platform intake (`POST /api/v1/hotline/orders`,
-- docs/hotline-platform.md), each kept until `expires_at` (Unix milliseconds; past the
-- accepted clock skew) so that a replayed request is refused; swept as new ones arrive.
CREATE TABLE hotline_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX hotline_nonces_expiry ON hotline_nonces (expires_at);

-- `hotline_platform_orders`: the upper platform's order numbers, one item each per line
-- (`citizen` 12345, `environment` 12369). Written in the transaction that registers the
-- order; the primary key makes a second registration of the same number fail, also when
-- two arrive at once.
CREATE TABLE hotline_platform_orders (
    line       TEXT NOT NULL,
    number     TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (line, number)
);
CREATE INDEX hotline_platform_orders_task ON hotline_platform_orders (task_id);
