-- The texts an extractor has read (found something or not); content-addressed, so a repeat changes nothing.
INSERT INTO chunk_extractions (tenant_id, extractor, content_hash)
SELECT %(tenant_id)s, %(extractor)s, h FROM unnest(%(hashes)s::text[]) AS h
ON CONFLICT DO NOTHING
