//! Identifiers in Microsoft's formats, drawn from a seeded RNG so an estate is reproducible.

use rand::Rng;

/// A version-4 style GUID, as Entra object and tenant ids look.
pub fn guid(rng: &mut impl Rng) -> String {
    let a: u32 = rng.random();
    let b: u16 = rng.random();
    let c: u16 = rng.random::<u16>() & 0x0fff;
    let d: u16 = (rng.random::<u16>() & 0x3fff) | 0x8000;
    let e: u64 = rng.random::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
}

/// `n` lowercase hex digits.
pub fn hex(rng: &mut impl Rng, n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdef";
    (0..n)
        .map(|_| char::from(DIGITS[rng.random_range(0..DIGITS.len())]))
        .collect()
}

/// `n` URL-safe characters, for opaque tokens and codes.
pub fn opaque(rng: &mut impl Rng, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..n)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn guids_have_the_microsoft_shape_and_repeat_with_the_seed() {
        let a = guid(&mut StdRng::seed_from_u64(7));
        let b = guid(&mut StdRng::seed_from_u64(7));
        assert_eq!(a, b);
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_eq!(a.chars().nth(14), Some('4'));
    }
}
