//! SHA-256 (FIPS 180-4) for the crate: owns the streaming [`Sha256`] hasher and the one-shot [`sha256`].
//!
//! The default build depends on nothing but `std`: the compression function
//! below is a fully unrolled, safe, panic-free implementation that hashes
//! whole 64-byte blocks straight out of the caller's input without copying
//! them. With the `sha2` cargo feature the same API delegates to the `sha2`
//! crate's `Sha256`, which uses the CPU's SHA extensions where it has them.
//! Both produce identical digests; the tests check the software core against
//! `sha2` in either configuration.

use std::fmt;
use std::io;

/// Size in bytes of one SHA-256 message block.
#[cfg(any(not(feature = "sha2"), test))]
const BLOCK_LEN: usize = 64;

/// Size in bytes of a SHA-256 digest.
const DIGEST_LEN: usize = 32;

/// Streaming SHA-256 hasher.
///
/// Feed it bytes with [`Sha256::update`] (or through [`io::Write`]) in pieces
/// of any size, then take the 32-byte digest with [`Sha256::finalize`].
/// Cloning it forks the computation: both copies go on from the same state.
///
/// ```
/// use attest_verify::sha256::{sha256, Sha256};
/// let mut h = Sha256::new();
/// h.update(b"a");
/// h.update(b"bc");
/// assert_eq!(h.finalize(), sha256(b"abc"));
/// ```
#[derive(Clone)]
pub struct Sha256 {
    #[cfg(not(feature = "sha2"))]
    inner: soft::Core,
    #[cfg(feature = "sha2")]
    inner: sha2::Sha256,
}

impl Sha256 {
    /// Creates a hasher in the initial state of FIPS 180-4 §5.3.3.
    #[must_use]
    pub fn new() -> Self {
        Self {
            #[cfg(not(feature = "sha2"))]
            inner: soft::Core::new(),
            #[cfg(feature = "sha2")]
            inner: <sha2::Sha256 as sha2::Digest>::new(),
        }
    }

    /// Absorbs `data` into the hash. Splitting a message across any number of
    /// calls, of any sizes (empty ones included), gives the same digest as
    /// hashing it in one piece.
    pub fn update(&mut self, data: &[u8]) {
        #[cfg(not(feature = "sha2"))]
        self.inner.update(data);
        #[cfg(feature = "sha2")]
        sha2::Digest::update(&mut self.inner, data);
    }

    /// Pads the message, finishes the hash and returns the 32-byte digest
    /// (big-endian words, as FIPS 180-4 prints them).
    #[must_use]
    pub fn finalize(self) -> [u8; DIGEST_LEN] {
        #[cfg(not(feature = "sha2"))]
        {
            self.inner.finalize()
        }
        #[cfg(feature = "sha2")]
        {
            sha2::Digest::finalize(self.inner).into()
        }
    }
}

impl Default for Sha256 {
    /// Same as [`Sha256::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Sha256 {
    /// Prints `Sha256 { .. }`: the internal state is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256").finish_non_exhaustive()
    }
}

impl io::Write for Sha256 {
    /// Hashes all of `buf` (same as [`Sha256::update`]); never fails and
    /// always reports `buf.len()` bytes written.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    /// Hashes all of `buf`; never fails.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.update(buf);
        Ok(())
    }

    /// Does nothing: there is nothing buffered outside the hash state.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One-shot SHA-256 of `data`.
#[must_use]
pub fn sha256(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut h = Sha256::new();
    h.update(data);
    h.finalize()
}

/// The software implementation: used by the default build, and compiled into
/// the tests of every build so it is always checked against `sha2`.
#[cfg(any(not(feature = "sha2"), test))]
mod soft {
    use super::{BLOCK_LEN, DIGEST_LEN};

    /// Initial hash value H(0), FIPS 180-4 §5.3.3.
    const H0: [u32; 8] =
        [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

    /// Round constants K, FIPS 180-4 §4.2.2.
    #[rustfmt::skip]
    const K: [u32; 64] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ];

    /// Streaming state of the software hasher.
    ///
    /// Invariant: `buf_len < BLOCK_LEN` between calls; `buf[..buf_len]` holds
    /// the bytes of the current, not yet complete, block.
    #[derive(Clone)]
    pub(super) struct Core {
        state: [u32; 8],
        buf: [u8; BLOCK_LEN],
        buf_len: usize,
        /// Message length in bytes, modulo 2^64.
        total_len: u64,
    }

    /// Splits `data` at `mid`, or keeps it whole if `mid` is past its end
    /// (which the callers never ask for).
    #[inline]
    fn split(data: &[u8], mid: usize) -> (&[u8], &[u8]) {
        data.split_at_checked(mid).unwrap_or((data, &[]))
    }

    impl Core {
        pub(super) const fn new() -> Self {
            Self { state: H0, buf: [0; BLOCK_LEN], buf_len: 0, total_len: 0 }
        }

        pub(super) fn update(&mut self, mut data: &[u8]) {
            // usize -> u64 never truncates on any platform Rust supports.
            self.total_len = self.total_len.wrapping_add(data.len() as u64);

            // Top up a partly filled block first.
            if self.buf_len != 0 {
                let want = BLOCK_LEN.saturating_sub(self.buf_len);
                let (head, rest) = split(data, want.min(data.len()));
                for (dst, src) in self.buf.iter_mut().skip(self.buf_len).zip(head) {
                    *dst = *src;
                }
                self.buf_len = self.buf_len.saturating_add(head.len());
                data = rest;
                if self.buf_len < BLOCK_LEN {
                    return;
                }
                compress_blocks(&mut self.state, &self.buf);
                self.buf_len = 0;
            }

            // Whole blocks straight from the input, then keep the tail.
            let (blocks, tail) = split(data, data.len() - data.len() % BLOCK_LEN);
            compress_blocks(&mut self.state, blocks);
            for (dst, src) in self.buf.iter_mut().zip(tail) {
                *dst = *src;
            }
            self.buf_len = tail.len();
        }

        pub(super) fn finalize(mut self) -> [u8; DIGEST_LEN] {
            let bit_len = self.total_len.wrapping_mul(8);
            let len = self.buf_len;
            let mut block = self.buf;
            for b in block.iter_mut().skip(len) {
                *b = 0;
            }
            if let Some(b) = block.get_mut(len) {
                *b = 0x80;
            }
            // The 0x80 byte and the 8-byte length need 9 free bytes.
            if len > BLOCK_LEN - 9 {
                compress_blocks(&mut self.state, &block);
                block = [0; BLOCK_LEN];
            }
            for (dst, src) in block.iter_mut().skip(BLOCK_LEN - 8).zip(bit_len.to_be_bytes()) {
                *dst = src;
            }
            compress_blocks(&mut self.state, &block);

            let mut out = [0u8; DIGEST_LEN];
            for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
                for (dst, src) in chunk.iter_mut().zip(word.to_be_bytes()) {
                    *dst = src;
                }
            }
            out
        }
    }

    /// Compresses every whole 64-byte block of `data` (its length is a
    /// multiple of 64 at every call site; a remainder would be ignored).
    ///
    /// The only caller of [`compress_block`], so the unrolled rounds exist
    /// once in the binary, inlined into this loop.
    #[inline(never)]
    fn compress_blocks(state: &mut [u32; 8], data: &[u8]) {
        let mut st = *state;
        for chunk in data.chunks_exact(BLOCK_LEN) {
            if let Ok(block) = <&[u8; BLOCK_LEN]>::try_from(chunk) {
                compress_block(&mut st, block);
            }
        }
        *state = st;
    }

    #[inline]
    fn big_sigma0(x: u32) -> u32 {
        x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
    }

    #[inline]
    fn big_sigma1(x: u32) -> u32 {
        x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
    }

    #[inline]
    fn small_sigma0(x: u32) -> u32 {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }

    #[inline]
    fn small_sigma1(x: u32) -> u32 {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }

    /// Ch(x, y, z) = (x AND y) XOR (NOT x AND z), in a form with one op less.
    #[inline]
    fn ch(x: u32, y: u32, z: u32) -> u32 {
        z ^ (x & (y ^ z))
    }

    /// Maj(x, y, z) = (x AND y) XOR (x AND z) XOR (y AND z).
    #[inline]
    fn maj(x: u32, y: u32, z: u32) -> u32 {
        (x & y) | (z & (x | y))
    }

    /// The SHA-256 compression function (FIPS 180-4 §6.2.2) on one block.
    ///
    /// All 64 rounds are unrolled; the message schedule lives in a rolling
    /// 16-word window, and the working variables rotate by renaming rather
    /// than by moving values. Every array index is a constant in bounds.
    #[inline(always)]
    fn compress_block(state: &mut [u32; 8], block: &[u8; BLOCK_LEN]) {
        let mut w = [0u32; 16];
        for (wi, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            if let Ok(bytes) = <[u8; 4]>::try_from(bytes) {
                *wi = u32::from_be_bytes(bytes);
            }
        }

        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;

        // Word t of the schedule: the loaded word for t < 16, otherwise
        // W(t) = σ1(W(t-2)) + W(t-7) + σ0(W(t-15)) + W(t-16), computed in
        // place over W(t-16).
        macro_rules! schedule {
            ($t:expr) => {{
                if $t >= 16 {
                    w[$t & 15] = w[$t & 15]
                        .wrapping_add(small_sigma1(w[($t + 14) & 15]))
                        .wrapping_add(w[($t + 9) & 15])
                        .wrapping_add(small_sigma0(w[($t + 1) & 15]));
                }
                w[$t & 15]
            }};
        }

        macro_rules! round {
            ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $t:expr) => {
                let t1 = $h
                    .wrapping_add(big_sigma1($e))
                    .wrapping_add(ch($e, $f, $g))
                    .wrapping_add(K[$t])
                    .wrapping_add(schedule!($t));
                let t2 = big_sigma0($a).wrapping_add(maj($a, $b, $c));
                $d = $d.wrapping_add(t1);
                $h = t1.wrapping_add(t2);
            };
        }

        macro_rules! eight_rounds {
            ($t:expr) => {
                round!(a, b, c, d, e, f, g, h, $t);
                round!(h, a, b, c, d, e, f, g, $t + 1);
                round!(g, h, a, b, c, d, e, f, $t + 2);
                round!(f, g, h, a, b, c, d, e, $t + 3);
                round!(e, f, g, h, a, b, c, d, $t + 4);
                round!(d, e, f, g, h, a, b, c, $t + 5);
                round!(c, d, e, f, g, h, a, b, $t + 6);
                round!(b, c, d, e, f, g, h, a, $t + 7);
            };
        }

        eight_rounds!(0);
        eight_rounds!(8);
        eight_rounds!(16);
        eight_rounds!(24);
        eight_rounds!(32);
        eight_rounds!(40);
        eight_rounds!(48);
        eight_rounds!(56);

        for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::Digest as _;
    use std::io::Write as _;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn reference(data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    /// The software core on its own, whatever the feature says.
    fn soft_one_shot(data: &[u8]) -> [u8; 32] {
        let mut c = soft::Core::new();
        c.update(data);
        c.finalize()
    }

    /// Checks `data` through every entry point against `expected`.
    fn check_all(data: &[u8], expected: &[u8; 32]) {
        assert_eq!(hex(&sha256(data)), hex(expected), "one-shot, len {}", data.len());
        assert_eq!(hex(&soft_one_shot(data)), hex(expected), "soft core, len {}", data.len());
        assert_eq!(hex(&reference(data)), hex(expected), "sha2 crate, len {}", data.len());
        // Byte-by-byte streaming.
        let mut h = Sha256::new();
        let mut c = soft::Core::new();
        for b in data {
            h.update(std::slice::from_ref(b));
            c.update(std::slice::from_ref(b));
        }
        assert_eq!(hex(&h.finalize()), hex(expected), "bytewise, len {}", data.len());
        assert_eq!(hex(&c.finalize()), hex(expected), "soft bytewise, len {}", data.len());
    }

    fn check_hex(data: &[u8], expected_hex: &str) {
        assert_eq!(hex(&sha256(data)), expected_hex);
        assert_eq!(hex(&soft_one_shot(data)), expected_hex);
        check_all(data, &reference(data));
    }

    #[test]
    fn nist_empty() {
        check_hex(b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn nist_abc() {
        check_hex(b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn nist_448_bits() {
        check_hex(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        );
    }

    #[test]
    fn nist_896_bits() {
        check_hex(
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        );
    }

    #[test]
    fn nist_million_a() {
        const EXPECTED: &str = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        let data = vec![b'a'; 1_000_000];
        assert_eq!(hex(&sha256(&data)), EXPECTED);
        // Odd-sized chunks that straddle block boundaries in every way.
        for sizes in [&[1usize, 7, 13, 63, 65, 127, 1000, 4099][..], &[3], &[61], &[999_999, 1]] {
            let mut h = Sha256::new();
            let mut c = soft::Core::new();
            let mut rest = &data[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = sizes[i % sizes.len()].min(rest.len());
                let (head, tail) = rest.split_at(n);
                h.update(head);
                c.update(head);
                rest = tail;
                i += 1;
            }
            assert_eq!(hex(&h.finalize()), EXPECTED, "chunks {sizes:?}");
            assert_eq!(hex(&c.finalize()), EXPECTED, "soft chunks {sizes:?}");
        }
    }

    #[test]
    fn boundary_lengths_match_sha2() {
        for len in [0usize, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect();
            check_all(&data, &reference(&data));
        }
    }

    #[test]
    fn every_length_up_to_300_matches_sha2() {
        for len in 0..300usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let expected = reference(&data);
            assert_eq!(sha256(&data), expected, "len {len}");
            assert_eq!(soft_one_shot(&data), expected, "soft len {len}");
        }
    }

    #[test]
    fn empty_updates_change_nothing() {
        let mut h = Sha256::new();
        h.update(&[]);
        h.update(b"ab");
        h.update(&[]);
        h.update(b"c");
        h.update(&[]);
        assert_eq!(h.finalize(), sha256(b"abc"));
    }

    #[test]
    fn clone_forks_the_state() {
        let mut h = Sha256::new();
        h.update(&[0x5a; 100]);
        let mut fork = h.clone();
        h.update(b"left");
        fork.update(b"right");
        let mut whole = vec![0x5a; 100];
        whole.extend_from_slice(b"left");
        assert_eq!(h.finalize(), reference(&whole));
        whole.truncate(100);
        whole.extend_from_slice(b"right");
        assert_eq!(fork.finalize(), reference(&whole));
    }

    #[test]
    fn io_write_streams() {
        let mut h = Sha256::default();
        let middle = 'b';
        write!(h, "a{middle}c").unwrap();
        assert_eq!(h.write(b"def").unwrap(), 3);
        h.flush().unwrap();
        assert_eq!(h.finalize(), sha256(b"abcdef"));
    }

    #[test]
    fn debug_hides_state() {
        let mut h = Sha256::new();
        h.update(b"secret");
        assert_eq!(format!("{h:?}"), "Sha256 { .. }");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn chunked_updates_match_sha2(
            data in proptest::collection::vec(any::<u8>(), 0..4096),
            cuts in proptest::collection::vec(0usize..4096, 0..16),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            cuts.sort_unstable();
            let expected = reference(&data);

            let mut h = Sha256::new();
            let mut c = soft::Core::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain(std::iter::once(data.len())) {
                h.update(&data[start..cut]);
                c.update(&data[start..cut]);
                start = cut;
            }
            prop_assert_eq!(h.finalize(), expected);
            prop_assert_eq!(c.finalize(), expected);
            prop_assert_eq!(sha256(&data), expected);
        }
    }
}
