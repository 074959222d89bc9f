//! A password a person chooses: long enough, short enough to hash cheaply, and hard to guess.
//!
//! "Hard to guess" is zxcvbn's estimate (Dropbox's estimator: 30,000 common passwords, common
//! words and names, keyboard rows, repeats, sequences, dates and l33t spellings). A password it
//! scores below 3, fewer than 10^8 estimated guesses, is refused with its reason. The person's
//! own email address and name, and their parts, are the first words an attacker tries, so they
//! count as such; and because zxcvbn credits any three pieces with 10^8 guesses (`anaperez2026`
//! scores 3), a password that is half or more made of them is refused too. With the log-in
//! throttle (about one guess a minute per account once the free failures are spent) 10^8
//! guesses take far longer than anyone will try.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zxcvbn::Score;
use zxcvbn::matching::patterns::MatchPattern;

/// The lowest zxcvbn score accepted: "safely unguessable" for an online attack.
const MIN_SCORE: Score = Score::Three;

#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// `personal`: what an attacker knows of the person, such as their email and name.
    pub fn parse(raw: &str, personal: &[&str]) -> Result<Self, String> {
        match raw.chars().count() {
            0..8 => return Err("must be at least 8 characters".to_owned()),
            129.. => return Err("must be at most 128 characters".to_owned()),
            _ => {}
        }
        let personal = personal_words(personal);
        let inputs: Vec<&str> = personal.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(raw, &inputs);
        let mostly_personal = personal_share(raw, &personal) >= 0.5;
        if estimate.score() >= MIN_SCORE && !mostly_personal {
            return Ok(Self(raw.to_owned()));
        }
        let uses_personal = mostly_personal
            || estimate.sequence().iter().any(|found| {
                matches!(&found.pattern, MatchPattern::Dictionary(word)
                    if personal.contains(&word.matched_word))
            });
        let warning = if uses_personal {
            Some("it is made from your email address or name".to_owned())
        } else {
            estimate
                .feedback()
                .and_then(|feedback| feedback.warning())
                .map(|warning| sentence_part(&warning.to_string()))
        };
        let mut reason = "is too easy to guess".to_owned();
        if let Some(warning) = warning {
            reason.push_str(": ");
            reason.push_str(&warning);
        }
        reason.push('.');
        for suggestion in estimate
            .feedback()
            .map(|f| f.suggestions())
            .unwrap_or_default()
        {
            reason.push(' ');
            reason.push_str(&suggestion.to_string());
        }
        Err(reason)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A password nobody chose, for a reset: 144 random bits as 24 URL-safe characters.
    pub fn random() -> anyhow::Result<String> {
        let mut bytes = [0u8; 18];
        getrandom::fill(&mut bytes)
            .map_err(|error| anyhow::anyhow!("no randomness for a password: {error}"))?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// Each value lower-cased, and its words of three letters or more: `ana.perez@olla.co` gives
/// `ana.perez@olla.co`, `ana.perez`, `ana`, `perez` and `olla`. Top-level domains are left out.
fn personal_words(values: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for value in values {
        let value = value.trim().to_lowercase();
        let (person, domain) = match value.split_once('@') {
            Some((local, domain)) => (local, domain.rsplit_once('.').map_or(domain, |(d, _)| d)),
            None => (value.as_str(), ""),
        };
        let parts = [value.as_str(), person]
            .into_iter()
            .chain(person.split(|c: char| !c.is_alphanumeric()))
            .chain(domain.split(|c: char| !c.is_alphanumeric()));
        for part in parts {
            if part.chars().count() >= 3 && !words.iter().any(|w| w == part) {
                words.push(part.to_owned());
            }
        }
    }
    words
}

/// The share of `password`'s characters that are some personal word.
fn personal_share(password: &str, personal: &[String]) -> f64 {
    let password: Vec<char> = password.to_lowercase().chars().collect();
    let mut covered = vec![false; password.len()];
    for word in personal {
        let word: Vec<char> = word.chars().collect();
        if word.is_empty() {
            continue;
        }
        for (start, window) in password.windows(word.len()).enumerate() {
            if window == word.as_slice() {
                covered
                    .iter_mut()
                    .skip(start)
                    .take(word.len())
                    .for_each(|c| *c = true);
            }
        }
    }
    let covered = covered.iter().filter(|c| **c).count();
    covered as f64 / password.len().max(1) as f64
}

/// zxcvbn's warning ("This is a top-10 common password.") as part of a sentence.
fn sentence_part(warning: &str) -> String {
    let warning = warning.trim_end_matches('.');
    let mut chars = warning.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANA: [&str; 2] = ["ana.perez@olla.co", "Ana Pérez"];

    #[test]
    fn a_random_password_meets_the_policy_and_is_new_each_time() {
        let first = NewPassword::random().unwrap();
        assert_eq!(first.len(), 24);
        assert!(NewPassword::parse(&first, &ANA).is_ok());
        assert_ne!(first, NewPassword::random().unwrap());
    }

    #[test]
    fn length_bounds_are_enforced() {
        assert!(NewPassword::parse("short", &[]).is_err());
        assert!(NewPassword::parse(&"p".repeat(129), &[]).is_err());
        assert!(NewPassword::parse("plum canoe harbor", &[]).is_ok());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("plum canoe harbor", &[]).unwrap()
            ),
            "NewPassword(..)"
        );
    }

    #[test]
    fn common_and_patterned_passwords_are_refused_with_the_reason() {
        let cases = [
            ("password", "top-10 common password"),
            ("12345678", "top-10 common password"),
            ("aaaaaaaa", "repeats"),
            ("abcdefgh", "sequences"),
            ("qwertyuiop", "common password"),
            ("P@ssw0rd123", "similar to a commonly used password"),
        ];
        for (password, why) in cases {
            let reason = NewPassword::parse(password, &[]).unwrap_err();
            assert!(
                reason.starts_with("is too easy to guess"),
                "{password}: {reason}"
            );
            assert!(reason.to_lowercase().contains(why), "{password}: {reason}");
        }
    }

    #[test]
    fn the_persons_email_and_name_do_not_make_a_password() {
        let cases = [
            "ana.perez@olla.co",
            "anaperez",
            "Ana Pérez 1",
            "perez-olla",
            "anaperez2026",
            "Perez-Ana-2026",
        ];
        for password in cases {
            let reason = NewPassword::parse(password, &ANA).unwrap_err();
            assert!(
                reason.contains("your email address or name"),
                "{password}: {reason}"
            );
        }
    }

    #[test]
    fn passphrases_pass() {
        for password in [
            "plum-canoe-42",
            "correct horse battery staple",
            "Tr0ub4dor&3",
        ] {
            assert!(NewPassword::parse(password, &ANA).is_ok(), "{password}");
        }
    }

    #[test]
    fn a_name_among_other_words_is_fine() {
        assert!(NewPassword::parse("ana paints violet harbors", &ANA).is_ok());
        assert!(
            (personal_share("ana-perez-2026", &personal_words(&ANA)) - 8.0 / 14.0).abs() < 1e-9
        );
    }

    #[test]
    fn personal_words_are_the_values_and_their_parts() {
        assert_eq!(
            personal_words(&ANA),
            [
                "ana.perez@olla.co",
                "ana.perez",
                "ana",
                "perez",
                "olla",
                "ana pérez",
                "pérez"
            ]
        );
    }
}
