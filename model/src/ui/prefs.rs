//! The viewer's display preferences kept in the browser (`localStorage`), parsed and cycled here
//! so that plain `cargo test` checks them: the colour theme for now.

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

    /// The toggle's text.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: auto",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
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
}
