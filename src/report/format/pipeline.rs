//! Long outputs rendered on all cores and written in order: elements are rendered a
//! batch (about 8 MiB) at a time by one renderer thread (each batch on all cores) and
//! handed to the calling thread, which writes them. Up to [`AHEAD`] rendered batches
//! wait to be written, so the cores go on rendering while a write waits on the disk,
//! and the renderer is started once, not once a batch. The JSON report's two long
//! arrays and the JSON Lines report use it.

use rayon::prelude::*;
use std::io;
use std::ops::Range;
use std::sync::mpsc;

/// Elements in the first batch. At a million identities 4,096 findings are about 10 MB
/// (docs/performance.md).
pub const BATCH: usize = 4_096;
/// The bytes a later batch aims at: its length is set from the bytes per element
/// rendered so far. Small elements (the inventory's entities, a few hundred bytes)
/// then come in batches as large as findings do, so that the batches waiting to be
/// written cover a write to the disk (8 MiB, [`crate::report::direct_write::CHUNK`])
/// and the cores do not stop rendering while it lasts.
const BATCH_BYTES: usize = 8 << 20;
/// The most elements in one batch, however small they are.
const MAX_BATCH: usize = 8 * BATCH;
/// Rendered batches that may wait to be written, besides the one being written and the
/// one being rendered.
const AHEAD: usize = 2;
/// Elements one worker renders into one piece.
const PIECE: usize = 256;
/// The most a piece reserves ahead, whatever its first element's size: a piece of 256
/// findings is about 0.7 MB at a million identities.
const RESERVE: usize = 2 << 20;

/// Renders elements `0..count`, element `k` by `render(k, piece)` on all cores, and
/// passes the pieces (each one or more elements) to `write` in order. The first error,
/// of a render or a write, ends it.
pub fn render_in_order(
    count: usize,
    render: impl Fn(usize, &mut Vec<u8>) -> io::Result<()> + Sync,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let render_batch = |batch: Range<usize>| -> io::Result<Vec<Vec<u8>>> {
        let pieces: Vec<Range<usize>> = (batch.clone())
            .step_by(PIECE)
            .map(|start| start..(start + PIECE).min(batch.end))
            .collect();
        pieces
            .into_par_iter()
            .map(|range| {
                let rest = range.len().saturating_sub(1);
                let mut piece = Vec::new();
                for (rendered, k) in range.enumerate() {
                    render(k, &mut piece)?;
                    if rendered == 0 {
                        // Room for the rest at the first element's size and a quarter
                        // more (at most RESERVE), not regrown and copied a dozen times.
                        piece.reserve((piece.len() * rest * 5 / 4).min(RESERVE));
                    }
                }
                Ok(piece)
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let (rendered, to_write) = mpsc::sync_channel::<io::Result<Vec<Vec<u8>>>>(AHEAD);
        let renderer = scope.spawn(move || {
            let (mut start, mut len) = (0, BATCH);
            let (mut elements, mut bytes) = (0, 0);
            while start < count {
                let end = (start + len).min(count);
                let batch = render_batch(start..end);
                if let Ok(pieces) = &batch {
                    elements += end - start;
                    bytes += pieces.iter().map(Vec::len).sum::<usize>();
                    len = (BATCH_BYTES * elements / bytes.max(1)).clamp(1, MAX_BATCH);
                }
                start = end;
                let failed = batch.is_err();
                // A closed channel: the writer stopped on an error of its own.
                if rendered.send(batch).is_err() || failed {
                    break;
                }
            }
        });
        let written = to_write
            .iter()
            .try_for_each(|batch| batch?.iter().try_for_each(|piece| write(piece)));
        // On an error the renderer's next batch finds the channel closed, and it stops.
        drop(to_write);
        renderer
            .join()
            .map_err(|_| io::Error::other("rendering the report failed"))?;
        written
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many batches, the last one short, and none; tiny elements (batches of the most
    /// elements) and larger ones (batches whose length is no multiple of a piece's):
    /// the elements come out in order, each once.
    #[test]
    fn elements_of_many_batches_are_written_in_order() {
        for (count, padding) in [
            (0, 0),
            (1, 0),
            (PIECE + 1, 0),
            (3 * BATCH + 17, 0),
            (BATCH + 2 * MAX_BATCH + 1, 0),
            (4 * BATCH + 17, 2000),
        ] {
            let element = |k: usize| format!("{k}{}\n", "-".repeat(padding + k % 7));
            let mut written = Vec::new();
            render_in_order(
                count,
                |k, piece| {
                    piece.extend_from_slice(element(k).as_bytes());
                    Ok(())
                },
                |piece| {
                    written.extend_from_slice(piece);
                    Ok(())
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let expected: String = (0..count).map(element).collect();
            assert!(written == expected.as_bytes(), "{count} elements");
        }
    }

    /// A failing write ends it: nothing after the failing piece is written.
    #[test]
    fn a_write_error_is_returned_and_ends_the_output() {
        let mut pieces = 0;
        let result = render_in_order(
            2 * BATCH,
            |k, piece| {
                piece.push(k as u8);
                Ok(())
            },
            |_| {
                pieces += 1;
                if pieces == 3 {
                    return Err(io::Error::other("disk full"));
                }
                Ok(())
            },
        );
        assert_eq!(result.map_err(|e| e.to_string()), Err("disk full".into()));
        assert_eq!(pieces, 3);
    }
}
