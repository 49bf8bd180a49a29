-- 0004: changes to table dnd reach mod_dnd on every node as
-- "<INSERT|UPDATE|DELETE> <extension>" on channel pbx_dnd, so a change
-- made elsewhere (REST, another node, psql) takes effect on the next call.

CREATE FUNCTION pbx_dnd_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('pbx_dnd', 'DELETE ' || OLD.extension);
    ELSE
        PERFORM pg_notify('pbx_dnd', TG_OP || ' ' || NEW.extension);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER dnd_notify AFTER INSERT OR UPDATE OR DELETE ON dnd
    FOR EACH ROW EXECUTE FUNCTION pbx_dnd_notify();
