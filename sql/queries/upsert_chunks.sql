-- Staged chunks into file_chunks; an unchanged chunk is not rewritten; a cut (over-long run) is recorded; tenant tx.
INSERT INTO file_chunks (file_id, tenant_id, chunk_index, chunk_text, chunk_metadata, content_hash, token_count)
SELECT s.file_id, %(tenant_id)s, s.chunk_index, s.chunk_text,
       jsonb_strip_nulls(jsonb_build_object('start_token', s.start_token, 'token_count', s.token_count,
                                            'cut_chars', NULLIF(s.cut_chars, 0))),
       s.content_hash, s.token_count
FROM stage_chunks s
ON CONFLICT (file_id, chunk_index) DO UPDATE SET
    chunk_text = EXCLUDED.chunk_text, chunk_metadata = EXCLUDED.chunk_metadata,
    content_hash = EXCLUDED.content_hash, token_count = EXCLUDED.token_count
WHERE file_chunks.content_hash IS DISTINCT FROM EXCLUDED.content_hash
