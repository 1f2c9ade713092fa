//! Attached files' chunks (`sync-api-v2.md`, "Files"). The chunks themselves travel as raw
//! `application/octet-stream` bodies; only the listing is JSON.

use serde::{Deserialize, Serialize};

/// One stored chunk in a [`ChunkList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredChunk {
    /// The chunk's index in its file.
    pub index: u32,
    /// Its sealed length in bytes.
    pub size: u64,
}

/// The answer to `GET /v2/files/{file_id}`: the chunks the server holds for the file, by index
/// (none for a file it does not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkList {
    /// The stored chunks, in index order.
    pub chunks: Vec<StoredChunk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_list_shape() {
        let list: ChunkList =
            serde_json::from_str(r#"{"chunks": [{"index": 0, "size": 1048621}, {"index": 1, "size": 301}]}"#)
                .expect("parses");
        assert_eq!(list.chunks[1], StoredChunk { index: 1, size: 301 });
        assert!(serde_json::from_str::<ChunkList>(r#"{"chunks": [{"index": -1, "size": 1}]}"#).is_err());
        assert!(serde_json::from_str::<ChunkList>(r#"{"chunks": [], "more": 1}"#).is_err());
    }
}
