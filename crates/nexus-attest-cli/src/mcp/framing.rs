//! Newline-delimited framing of the stdio transport: one message per line. A line longer
//! than the limit is never held in memory whole: its bytes are counted and dropped, and
//! the reader resynchronises at the next newline.

use std::io::{self, BufRead};

/// What the reader found next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A complete line without its `\n` (a trailing `\r` removed). The last line before
    /// end of input counts even without a newline.
    Line(Vec<u8>),
    /// A line of more than the limit (its length in bytes); its bytes were discarded.
    TooLong(usize),
    /// End of input.
    Eof,
}

/// Reads [`Frame`]s from a buffered reader.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader that accepts lines of at most `max` bytes (newline excluded).
    pub(crate) fn new(inner: R, max: usize) -> LineReader<R> {
        LineReader { inner, max }
    }

    /// The next frame. Errors are the underlying reader's (interruptions retried).
    pub(crate) fn next_frame(&mut self) -> io::Result<Frame> {
        let mut line = Vec::new();
        let mut seen = 0usize;
        let mut too_long = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(match (seen, too_long) {
                    (0, _) => Frame::Eof,
                    (n, true) => Frame::TooLong(n),
                    (_, false) => Frame::Line(without_cr(line)),
                });
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let chunk = match newline {
                Some(i) => buf.get(..i).unwrap_or(buf),
                None => buf,
            };
            seen = seen.saturating_add(chunk.len());
            if !too_long {
                if seen > self.max {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let used = chunk.len() + usize::from(newline.is_some());
            self.inner.consume(used);
            if newline.is_some() {
                return Ok(if too_long { Frame::TooLong(seen) } else { Frame::Line(without_cr(line)) });
            }
        }
    }
}

fn without_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize, capacity: usize) -> Vec<Frame> {
        let mut r = LineReader::new(io::BufReader::with_capacity(capacity, input), max);
        let mut out = Vec::new();
        loop {
            let f = r.next_frame().unwrap();
            if f == Frame::Eof {
                return out;
            }
            out.push(f);
        }
    }

    #[test]
    fn lines_limits_and_resynchronisation() {
        for capacity in [1, 3, 8192] {
            let got = frames(b"abc\r\n0123456789\nxy\n\nlast", 5, capacity);
            assert_eq!(
                got,
                vec![
                    Frame::Line(b"abc".to_vec()),
                    Frame::TooLong(10),
                    Frame::Line(b"xy".to_vec()),
                    Frame::Line(Vec::new()),
                    Frame::Line(b"last".to_vec()),
                ],
                "capacity {capacity}"
            );
        }
        assert_eq!(frames(b"", 5, 8), vec![]);
        assert_eq!(frames(b"123456", 5, 2), vec![Frame::TooLong(6)]);
        assert_eq!(frames(b"12345\n", 5, 2), vec![Frame::Line(b"12345".to_vec())]);
    }
}
