-- Placeholder on branch issue5a only, so that 0010 applies here (migrations are numbered without
-- gaps). DELETE this file when merging: the real 0007 comes from another branch.
SELECT 1;
