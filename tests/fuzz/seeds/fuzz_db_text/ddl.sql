CREATE TABLE seal (id {id}, png {blob} NOT NULL, w {real}, c TEXT CHECK (c <> '{id}'));
CREATE INDEX i ON seal (png);