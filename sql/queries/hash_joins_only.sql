-- Whole-tenant reads that join several of the tenant's tables (chunks to their files, vectors and extractions;
-- chunks to their mentions) use hash joins for the rest of the transaction (SET LOCAL): a tenant written moments ago
-- is missing from the statistics, and the planner's one-row estimate then picks nested loops that compare every row
-- with every row (4,500 mentions: 350-700 ms instead of 5 ms; 1,000 documents' chunks to embed: 465 ms, growing with
-- the square of the tenant).
SET LOCAL enable_nestloop = off
