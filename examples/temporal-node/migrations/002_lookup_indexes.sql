-- Index settings for the batch query of a tenant's plan, which probes the contacts' address index
-- once per listed address and reads a tenant's links by tenant.
--
-- A GIN index with `fastupdate` keeps new entries in an unsorted pending list that every lookup
-- scans in full until a vacuum merges it: with a sync inserting thousands of contacts between
-- vacuums, each probe cost milliseconds and a tenant's batch query seconds. Without it, each
-- insert updates the index itself, and a probe stays a tree lookup.
ALTER INDEX contacts_emails_norm SET (fastupdate = off);
SELECT gin_clean_pending_list('contacts_emails_norm'::regclass);

-- Links by tenant, closed ones included (the partial unique index covers active links only).
CREATE INDEX contact_links_tenant ON contact_links (entra_tenant_id);
