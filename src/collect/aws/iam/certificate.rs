//! The expiry (`notAfter`) of an X.509 certificate in PEM form: IAM signing certificates
//! carry it only inside the (public) certificate body that `ListSigningCertificates`
//! returns. A small, bounds-checked DER walk, so that no X.509 library is needed; any
//! input it does not understand gives `None`, never a panic.

use chrono::{DateTime, NaiveDate, Utc};

/// `notAfter` of the first certificate in `pem`, if it can be read.
pub(super) fn not_after(pem: &str) -> Option<DateTime<Utc>> {
    let der = pem_body(pem)?;
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... }, ... }
    let (certificate, _) = element(&der, 0x30)?;
    let (tbs, _) = element(certificate, 0x30)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, optional
    if rest.first() == Some(&0xa0) {
        rest = element(rest, 0xa0)?.1;
    }
    let rest = element(rest, 0x02)?.1; // serialNumber
    let rest = element(rest, 0x30)?.1; // signature AlgorithmIdentifier
    let rest = element(rest, 0x30)?.1; // issuer Name
    let (validity, _) = element(rest, 0x30)?;
    let (_, after_not_before) = any_time(validity)?;
    let (not_after, _) = any_time(after_not_before)?;
    Some(not_after)
}

/// The DER bytes between the first BEGIN/END CERTIFICATE lines.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let end = start + pem.get(start..)?.find(END)?;
    base64_decode(pem.get(start..end)?)
}

/// Standard base64 with optional padding; whitespace is skipped.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// One DER element with the expected tag: (its content, what follows it).
fn element(data: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *data.first()? != tag {
        return None;
    }
    let first = *data.get(1)?;
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let mut length = 0usize;
        for i in 0..count {
            length = (length << 8) | usize::from(*data.get(2 + i)?);
        }
        (length, 2 + count)
    };
    let end = header.checked_add(length)?;
    Some((data.get(header..end)?, data.get(end..)?))
}

/// A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) element.
fn any_time(data: &[u8]) -> Option<(DateTime<Utc>, &[u8])> {
    let (text, rest, century) = match data.first()? {
        0x17 => {
            let (text, rest) = element(data, 0x17)?;
            (text, rest, true)
        }
        0x18 => {
            let (text, rest) = element(data, 0x18)?;
            (text, rest, false)
        }
        _ => return None,
    };
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest_text) = if century {
        let yy: i32 = text.get(..2)?.parse().ok()?;
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
    } else {
        (text.get(..4)?.parse().ok()?, text.get(4..)?)
    };
    let number =
        |range: std::ops::Range<usize>| -> Option<u32> { rest_text.get(range)?.parse().ok() };
    let time = NaiveDate::from_ymd_opt(year, number(0..2)?, number(2..4)?)?.and_hms_opt(
        number(4..6)?,
        number(6..8)?,
        number(8..10)?,
    )?;
    Some((time.and_utc(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed EC certificate valid 2022-01-01 to 2027-01-01 (public, no key).
    const PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBBjCBraADAgECAgEBMAoGCCqGSM49BAMCMA0xCzAJBgNVBAMMAnUxMB4XDTIy
MDEwMTAwMDAwMFoXDTI3MDEwMTAwMDAwMFowDTELMAkGA1UEAwwCdTEwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAASVG8rQExuwGhl1+yOMcc63+5zLCaX/4B4N1Y6Y
4M4Q4n8BkZyfkf+FF5u45TTvYEDkmeCSVpWEtsRUuEKJzGA9MAoGCCqGSM49BAMC
A0gAMEUCICLvkQEe+UqlCD4h/ZLfVLfzqbtodJewh26vBgvcwLLfAiEAv2m3ZTvl
HxOWHl8KfK+MIlp7YLJ3wzEd0R8uy6+ZOo4=
-----END CERTIFICATE-----
";

    #[test]
    fn reads_not_after() {
        assert_eq!(
            not_after(PEM).map(|t| t.to_rfc3339()),
            Some("2027-01-01T00:00:00+00:00".to_string())
        );
    }

    #[test]
    fn generalized_time_and_long_lengths() {
        let time = b"\x18\x0f20510203040506Z";
        let (t, rest) = any_time(time).unwrap_or_else(|| panic!("not read"));
        assert_eq!(t.to_rfc3339(), "2051-02-03T04:05:06+00:00");
        assert!(rest.is_empty());
        let long = [0x30, 0x81, 0x02, 0xaa, 0xbb, 0xcc];
        assert_eq!(element(&long, 0x30), Some((&long[3..5], &long[5..])));
    }

    #[test]
    fn anything_else_is_none_not_a_panic() {
        for text in [
            "",
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
            &PEM[..PEM.len() / 2],
        ] {
            assert_eq!(not_after(text), None, "{text}");
        }
        // Every truncation of the DER is refused cleanly.
        let der = pem_body(PEM).unwrap_or_default();
        for cut in 0..der.len() {
            let _ = element(&der[..cut], 0x30);
        }
        assert_eq!(element(&[0x30, 0x85, 1, 1, 1, 1, 1], 0x30), None);
        assert_eq!(element(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], 0x30), None);
    }
}
