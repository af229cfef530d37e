-- Staged mentions of freshly read texts; content-addressed (the same text gives the same mentions), so a row
-- that exists stays as it is; tenant transaction.
INSERT INTO chunk_mentions (tenant_id, extractor, content_hash, key, kind, type, surface, surfaces, mentions, score,
                            vec)
SELECT %(tenant_id)s, %(extractor)s, s.content_hash, s.key, s.kind, s.type, s.surface, s.surfaces, s.mentions,
       s.score, s.vec
FROM stage_mentions s
ON CONFLICT DO NOTHING
