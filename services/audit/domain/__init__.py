"""Audit's rules, pure: the access record and its catalogue (AU-01, AU-02), the period and the
CSV of an export (AU-03, AU-04), the export job's life, the live counters (AU-05) and who may
do what (``authz``). No I/O here: the use cases around it read and write."""
