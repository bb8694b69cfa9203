//! The viewer's display preferences kept in the browser (`localStorage`), parsed and cycled here
//! so that plain `cargo test` checks them: the colour theme and the language.

/// The colour theme: the system's (`prefers-color-scheme`) unless the viewer picked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// The `localStorage` key the choice is remembered under.
    pub const STORAGE_KEY: &'static str = "codis-console.theme";

    /// The remembered choice; anything else (nothing stored, an old or edited value) is the
    /// system's theme.
    pub fn from_stored(value: Option<&str>) -> Theme {
        match value {
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// What is stored (`None`: remove the key, follow the system).
    pub fn stored(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }

    /// The value of `<html data-theme>` (`None`: no attribute; the stylesheet follows
    /// `prefers-color-scheme`). The same words as what is stored.
    pub fn attribute(self) -> Option<&'static str> {
        self.stored()
    }

    /// The next choice of the toggle: System -> Light -> Dark -> System.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
}

/// The console's language (docs/i18n.md). English is the default and is built into the WASM;
/// the others are loaded when chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The `localStorage` key the viewer's choice is remembered under.
    pub const STORAGE_KEY: &'static str = "codis-console.lang";

    /// Every language, in the switcher's order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag: `<html lang>`, what is stored, the catalogue's file name.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Its own name, as the switcher shows it (a language is always named in itself).
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// The remembered choice, if one is stored and still known.
    pub fn from_stored(value: Option<&str>) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| Some(l.tag()) == value)
    }

    /// The browser's preference (`navigator.languages`, most preferred first): the first
    /// language the console has. Any Chinese (`zh`, `zh-CN`, `zh-Hans-SG`, `zh-TW`) is 中文:
    /// the catalogue is Simplified Chinese, which Traditional readers read too, better than
    /// English for most. Nothing known: English.
    pub fn from_navigator<S: AsRef<str>>(languages: &[S]) -> Lang {
        for l in languages {
            let primary = l.as_ref().split(['-', '_']).next().unwrap_or("");
            if primary.eq_ignore_ascii_case("zh") {
                return Lang::Zh;
            }
            if primary.eq_ignore_ascii_case("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The language shown: the viewer's choice, else the browser's.
    pub fn pick<S: AsRef<str>>(stored: Option<&str>, navigator: &[S]) -> Lang {
        Lang::from_stored(stored).unwrap_or_else(|| Lang::from_navigator(navigator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_choice_reads_back_and_anything_else_follows_the_system() {
        for t in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(Theme::from_stored(t.stored()), t);
        }
        for junk in ["", "Dark", "auto", "blue"] {
            assert_eq!(Theme::from_stored(Some(junk)), Theme::System, "{junk}");
        }
    }

    #[test]
    fn the_toggle_goes_through_every_choice_and_back() {
        let mut seen = vec![Theme::System];
        let mut t = Theme::System.next();
        while t != Theme::System {
            seen.push(t);
            t = t.next();
        }
        assert_eq!(seen, [Theme::System, Theme::Light, Theme::Dark]);
        assert_eq!(Theme::System.attribute(), None);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
    }

    #[test]
    fn any_chinese_browser_gets_chinese_and_the_rest_english() {
        for zh in ["zh", "zh-CN", "zh-Hans-SG", "zh-TW", "ZH_cn"] {
            assert_eq!(Lang::from_navigator(&[zh, "en-US"]), Lang::Zh, "{zh}");
        }
        // The first language the console has wins, in the browser's order.
        assert_eq!(Lang::from_navigator(&["fr-FR", "zh-CN"]), Lang::Zh);
        assert_eq!(Lang::from_navigator(&["en-GB", "zh-CN"]), Lang::En);
        assert_eq!(Lang::from_navigator(&["de", "fr"]), Lang::En);
        assert_eq!(Lang::from_navigator::<&str>(&[]), Lang::En);
        // "zhx" is not Chinese.
        assert_eq!(Lang::from_navigator(&["zhx"]), Lang::En);
    }

    #[test]
    fn the_viewers_choice_beats_the_browser_and_junk_is_ignored() {
        assert_eq!(Lang::pick(Some("en"), &["zh-CN"]), Lang::En);
        assert_eq!(Lang::pick(Some("zh"), &["en-US"]), Lang::Zh);
        assert_eq!(Lang::pick(Some("klingon"), &["zh-CN"]), Lang::Zh);
        assert_eq!(Lang::pick(None, &["en-US"]), Lang::En);
        for l in Lang::ALL {
            assert_eq!(Lang::from_stored(Some(l.tag())), Some(l));
        }
    }
}
