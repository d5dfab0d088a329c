-- The PSA's own tables: what a PSA already has (clients, contacts) plus what its Entra integration
-- keeps (tenants, mappings, links, the reconciliation queue, runs, delta links, applied actions).

CREATE TABLE clients (
  client_id          text PRIMARY KEY,
  client_name        text NOT NULL,
  domains            text[] NOT NULL DEFAULT '{}',
  secondary_domains  text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE contacts (
  contact_id           text PRIMARY KEY,
  client_id            text REFERENCES clients (client_id),
  email                text,
  additional_emails    text[] NOT NULL DEFAULT '{}',
  -- email and additional emails, trimmed and lowercased: what the plan's batch query compares.
  emails_norm          text[] NOT NULL DEFAULT '{}',
  full_name            text,
  role                 text,
  phone_numbers        jsonb NOT NULL DEFAULT '[]',
  user_principal_name  text,
  is_inactive          boolean NOT NULL DEFAULT false,
  inactive_source      text,
  locked               boolean NOT NULL DEFAULT false,
  created_by_sync      boolean NOT NULL DEFAULT false,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
-- One contact per address across the whole PSA account, as PSAs enforce it.
CREATE UNIQUE INDEX contacts_email_unique ON contacts (lower(btrim(email))) WHERE email IS NOT NULL AND btrim(email) <> '';
CREATE INDEX contacts_client ON contacts (client_id);
CREATE INDEX contacts_emails_norm ON contacts USING gin (emails_norm);

CREATE TABLE tenants (
  entra_tenant_id    text PRIMARY KEY,
  display_name       text,
  primary_domain     text,
  domains            text[] NOT NULL DEFAULT '{}',
  source_user_count  integer,
  status             text NOT NULL DEFAULT 'active',
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_mappings (
  id               bigserial PRIMARY KEY,
  entra_tenant_id  text NOT NULL REFERENCES tenants (entra_tenant_id),
  client_id        text REFERENCES clients (client_id),
  state            text NOT NULL CHECK (state IN ('mapped', 'skipped')),
  confirmed_at     timestamptz,
  closed_at        timestamptz
);
CREATE UNIQUE INDEX tenant_mappings_active ON tenant_mappings (entra_tenant_id) WHERE closed_at IS NULL;

CREATE TABLE contact_links (
  id               bigserial PRIMARY KEY,
  entra_tenant_id  text NOT NULL,
  entra_object_id  text NOT NULL,
  contact_id       text NOT NULL REFERENCES contacts (contact_id),
  client_id        text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  closed_at        timestamptz
);
CREATE UNIQUE INDEX contact_links_active_identity ON contact_links (entra_tenant_id, entra_object_id) WHERE active;
CREATE INDEX contact_links_contact ON contact_links (contact_id);

CREATE TABLE resolutions (
  entra_tenant_id  text NOT NULL,
  entra_object_id  text NOT NULL,
  decision         text NOT NULL CHECK (decision IN ('link_existing', 'create_new', 'dismissed')),
  contact_id       text,
  resolved_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entra_tenant_id, entra_object_id)
);

CREATE TABLE reconciliation_queue (
  entra_tenant_id        text NOT NULL,
  entra_object_id        text NOT NULL,
  kind                   text NOT NULL CHECK (kind IN ('queue_ambiguous', 'conflict')),
  reason                 text NOT NULL,
  contact_ids            text[] NOT NULL DEFAULT '{}',
  display_name           text,
  user_principal_name    text,
  status                 text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'settled')),
  last_run_id            text NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entra_tenant_id, entra_object_id)
);

CREATE TABLE sync_settings (
  entra_tenant_id  text PRIMARY KEY,
  settings         jsonb NOT NULL
);

CREATE TABLE delta_links (
  entra_tenant_id  text PRIMARY KEY,
  delta_link       text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  run_id        text PRIMARY KEY,
  scope         text NOT NULL,
  trigger       text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  tenants_total      integer NOT NULL DEFAULT 0,
  tenants_succeeded  integer NOT NULL DEFAULT 0,
  tenants_failed     integer NOT NULL DEFAULT 0,
  counters      jsonb NOT NULL DEFAULT '{}',
  warnings      jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE tenant_results (
  run_id           text NOT NULL REFERENCES runs (run_id),
  entra_tenant_id  text NOT NULL,
  client_id        text,
  status           text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  counters         jsonb NOT NULL DEFAULT '{}',
  warnings         jsonb NOT NULL DEFAULT '[]',
  error_code       text,
  error_message    text,
  listing_complete boolean,
  users_listed     integer,
  worker           text,
  attempt          integer NOT NULL DEFAULT 1,
  finished_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, entra_tenant_id)
);

-- Every action applied, by run and idempotency key: a retried activity applies nothing twice.
CREATE TABLE applied_actions (
  run_id           text NOT NULL,
  idempotency_key  text NOT NULL,
  entra_tenant_id  text NOT NULL,
  kind             text NOT NULL,
  applied_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, idempotency_key)
);
