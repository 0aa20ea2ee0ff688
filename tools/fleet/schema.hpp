// azmaps-lro fleet: the schema, as numbered migrations (docs/fleet.md, "Schema").
#pragma once

#include <string>
#include <vector>

namespace azmaps::lro::fleet {

struct migration {
    int version;
    const char* description;
    const char* sql;
};

/// Every migration, in order. Never edit one that shipped: add the next number.
inline const std::vector<migration>& migrations() {
    static const std::vector<migration> all = {
        {1, "operations table, due index",
         R"sql(
CREATE TABLE azlro.ops (
    id                bigserial PRIMARY KEY,
    protocol          text        NOT NULL CHECK (protocol IN ('maps', 'maps-v1', 'maps-v2', 'azure')),
    options           jsonb       NOT NULL DEFAULT '{}',
    method            text        NOT NULL,
    url               text        NOT NULL,            -- credential query parameters removed
    body              bytea,
    headers           jsonb       NOT NULL DEFAULT '{}', -- no credential header (refused at submit)
    resend_ok         boolean     NOT NULL DEFAULT false, -- the machine's rule for an unanswered submit
    token             text,                              -- the machine's resume token (save())
    token_at          timestamptz,                       -- wall clock of the answer the token follows
    state             text        NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'submitting', 'polling', 'succeeded', 'failed',
                                       'canceled', 'submit_unknown')),
    next_at           timestamptz NOT NULL DEFAULT now(), -- next request due (= lease expiry while leased)
    lease_owner       text,
    lease_expires     timestamptz,
    attempts          integer     NOT NULL DEFAULT 0,    -- claims (each sends one request)
    polls             integer     NOT NULL DEFAULT 0,    -- status requests, as the machine counts them
    cancel_requested  boolean     NOT NULL DEFAULT false,
    submit_started_at timestamptz,
    reason            text,
    http_status       integer,
    error             jsonb,
    detail            text,
    result_location   text,
    result_body       bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz
);
-- Claiming reads only live rows: this index stays as small as the live set, whatever the
-- number of finished rows.
CREATE INDEX ops_due ON azlro.ops (next_at) WHERE state IN ('pending', 'submitting', 'polling');
-- Purging finished rows by age.
CREATE INDEX ops_ended ON azlro.ops (ended_at) WHERE ended_at IS NOT NULL;
)sql"},
    };
    return all;
}

/// The NOTIFY channel `submit` signals and idle workers LISTEN on.
inline constexpr const char* notify_channel = "azlro_fleet";

} // namespace azmaps::lro::fleet
