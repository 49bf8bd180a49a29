-- 0003: do not disturb (modules/dnd). A row means DND is on for the
-- extension; it goes with its user. mod_dnd loads the table at start-up
-- and writes through it; the table exists whether or not the module is
-- loaded, so turning the module on later needs no migration.

CREATE TABLE dnd (
    extension text PRIMARY KEY
              REFERENCES users (extension) ON DELETE CASCADE,
    since     timestamptz NOT NULL DEFAULT now()
);
