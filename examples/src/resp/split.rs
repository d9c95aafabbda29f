//! Splitting an inline command line into arguments, as Redis'
//! `sdssplitargs` does (the rules `redis-cli` and `telnet` users rely on).

/// Splits one inline command line (without its line ending) into
/// arguments, pushing each into `args`.
///
/// The rules are `sdssplitargs`': arguments are separated by whitespace;
/// `"double quotes"` understand `\n \r \t \b \a`, `\xHH` and `\<any>`;
/// `'single quotes'` understand only `\'`; a closing quote must be followed
/// by whitespace or the end of the line; a quote may open in the middle of
/// an argument (`a"b c"` is `ab c`). As in Redis, which reads the line as a
/// C string, a NUL byte ends the line.
///
/// # Return value
///
/// `false` for unbalanced quotes (Redis' `Protocol error: unbalanced
/// quotes in request`); `args` then holds what was split before.
pub(super) fn split_args(line: &[u8], args: &mut super::parse::Args) -> bool {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let line = &line[..end];
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p == line.len() {
            return true;
        }
        args.start();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && let (Some(hi), Some(lo)) = (hex(at(p + 2)), hex(at(p + 3)))
                {
                    args.push_byte(hi * 16 + lo);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    args.push_byte(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    args.push_byte(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    args.push_byte(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    args.push_byte(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => args.push_byte(other),
                }
            }
            p += 1;
        }
    }
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::super::parse::Args;
    use super::split_args;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut args = Args::default();
        split_args(line, &mut args).then(|| args.iter().map(<[u8]>::to_vec).collect())
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(
            split(b"  set  key\tvalue "),
            Some(vec![b"set".to_vec(), b"key".to_vec(), b"value".to_vec()])
        );
        assert_eq!(split(b""), Some(vec![]));
        assert_eq!(split(b"   "), Some(vec![]));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            split(br#"echo "a\x41\n\"" 'it\'s' "#),
            Some(vec![b"echo".to_vec(), b"aA\n\"".to_vec(), b"it's".to_vec()])
        );
        assert_eq!(split(br#"a"b c""#), Some(vec![b"ab c".to_vec()]));
        assert_eq!(split(br#""""#), Some(vec![Vec::new()]));
        // A bad \x escape is taken literally, as in Redis.
        assert_eq!(split(br#""\xZZ""#), Some(vec![b"xZZ".to_vec()]));
    }

    #[test]
    fn unbalanced_quotes() {
        assert_eq!(split(br#"echo "abc"#), None);
        assert_eq!(split(br#"echo "abc"def"#), None);
        assert_eq!(split(b"echo 'abc"), None);
        assert_eq!(split(b"echo 'a'b"), None);
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(
            split(b"get k\0ey"),
            Some(vec![b"get".to_vec(), b"k".to_vec()])
        );
    }
}
