-- Chunks past a re-chunked file's new end; tenant transaction.
DELETE FROM file_chunks fc
USING (SELECT file_id, max(chunk_index) AS last FROM stage_chunks GROUP BY file_id) s
WHERE fc.file_id = s.file_id AND fc.chunk_index > s.last
