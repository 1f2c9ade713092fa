//! Duplicate detection: which imported items are already in the vault (or earlier in the same
//! import), so that importing one export twice does not double a vault.

use std::collections::HashMap;

use hush_vault::Item;

/// Whether `incoming` duplicates `existing`, the rule that keeps a repeated import
/// from doubling a vault:
///
/// - the user names are equal and the passwords are equal (exactly; a changed
///   password is a different item, not a duplicate), and
/// - the names are equal (ignoring case and surrounding spaces), or the two share a
///   URL host (`https://www.github.com/login` and `github.com` share `github.com`);
/// - and, when both have neither user name nor password (notes, cards, TOTP-only
///   items), their notes, custom fields and TOTP secrets are equal too, so that two
///   different notes that happen to share a name are both kept.
pub fn is_duplicate(existing: &Item, incoming: &Item) -> bool {
    if existing.username.trim() != incoming.username.trim() || existing.password != incoming.password {
        return false;
    }
    let same_name = existing.name.trim().to_lowercase() == incoming.name.trim().to_lowercase();
    let same_site = || {
        let hosts: Vec<String> = existing.hosts().collect();
        incoming.hosts().any(|h| hosts.contains(&h))
    };
    if !same_name && !same_site() {
        return false;
    }
    let credentials = !incoming.username.trim().is_empty() || !incoming.password.is_empty();
    credentials
        || (existing.notes == incoming.notes
            && existing.fields == incoming.fields
            && existing.totp == incoming.totp)
}

/// What an import will do.
#[derive(Debug, Default)]
pub struct Plan {
    /// The items to add, in input order.
    pub new: Vec<Item>,
    /// The items skipped as duplicates, in input order.
    pub duplicates: Vec<Duplicate>,
}

/// An imported item that was skipped.
#[derive(Debug)]
pub struct Duplicate {
    /// The skipped item.
    pub item: Item,
    /// The name of the item it duplicates.
    pub of: String,
    /// Whether that item is an earlier entry of the same import rather than one
    /// already in the vault.
    pub within_import: bool,
}

/// Splits `incoming` into new items and duplicates ([`is_duplicate`]) of `existing`
/// items or of earlier incoming ones.
pub fn plan<'a>(existing: impl IntoIterator<Item = &'a Item>, incoming: Vec<Item>) -> Plan {
    // Indexed by credentials, which every duplicate shares, so that a large import
    // into a large vault costs a hash look-up per item rather than a full scan.
    let mut index: HashMap<(&str, &str), Vec<(&Item, bool)>> = HashMap::new();
    for item in existing {
        index.entry((item.username.trim(), item.password.as_str())).or_default().push((item, false));
    }
    let mut verdicts: Vec<Option<(String, bool)>> = Vec::with_capacity(incoming.len());
    for item in &incoming {
        let key = (item.username.trim(), item.password.as_str());
        let found = index
            .get(&key)
            .and_then(|candidates| candidates.iter().find(|(other, _)| is_duplicate(other, item)))
            .map(|(other, within)| (other.name.clone(), *within));
        if found.is_none() {
            index.entry(key).or_default().push((item, true));
        }
        verdicts.push(found);
    }
    drop(index);
    let mut plan = Plan::default();
    for (item, verdict) in incoming.into_iter().zip(verdicts) {
        match verdict {
            None => plan.new.push(item),
            Some((of, within_import)) => plan.duplicates.push(Duplicate { item, of, within_import }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_vault::ItemKind;

    fn login(name: &str, user: &str, pw: &str, url: &str) -> Item {
        let mut i = Item::new(ItemKind::Login, name, 0);
        i.username = user.into();
        i.password = pw.into();
        if !url.is_empty() {
            i.urls.push(url.into());
        }
        i
    }

    #[test]
    fn import_duplicate_rule() {
        let a = login("GitHub", "octocat", "pw", "https://github.com/login");
        // Same name (any case), same credentials.
        assert!(is_duplicate(&a, &login(" github ", "octocat", "pw", "")));
        // Another name but the same host.
        assert!(is_duplicate(&a, &login("gh work", "octocat", "pw", "www.github.com")));
        // A different password or user name is a different item.
        assert!(!is_duplicate(&a, &login("GitHub", "octocat", "pw2", "")));
        assert!(!is_duplicate(&a, &login("GitHub", "other", "pw", "")));
        // Same credentials but neither name nor host in common.
        assert!(!is_duplicate(&a, &login("GitLab", "octocat", "pw", "gitlab.com")));
        // Notes with the same name but different content are both kept.
        let mut n1 = Item::new(ItemKind::Note, "wifi", 0);
        n1.notes = "home".into();
        let mut n2 = Item::new(ItemKind::Note, "wifi", 0);
        n2.notes = "office".into();
        assert!(!is_duplicate(&n1, &n2));
        n2.notes = "home".into();
        assert!(is_duplicate(&n1, &n2));
    }

    #[test]
    fn import_plan_skips_existing_and_repeated_items() {
        let existing = [login("GitHub", "octocat", "pw", "")];
        let incoming = vec![
            login("github", "octocat", "pw", ""),
            login("GitLab", "me", "x", "gitlab.com"),
            login("gitlab (copy)", "me", "x", "https://gitlab.com/users/sign_in"),
            login("GitLab", "me", "y", "gitlab.com"),
        ];
        let plan = plan(existing.iter(), incoming);
        let new: Vec<_> = plan.new.iter().map(|i| i.password.as_str()).collect();
        assert_eq!(new, ["x", "y"]);
        assert_eq!(plan.duplicates.len(), 2);
        assert_eq!(plan.duplicates[0].of, "GitHub");
        assert!(!plan.duplicates[0].within_import);
        assert_eq!(plan.duplicates[1].of, "GitLab");
        assert!(plan.duplicates[1].within_import);
    }
}
