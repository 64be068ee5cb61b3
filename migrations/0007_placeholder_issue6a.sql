-- Placeholder on branch issue6a only, so that 0009 applies here (migrations are numbered without
-- gaps). DELETE this file when merging: the real 0007 comes from another branch.
SELECT 1;
