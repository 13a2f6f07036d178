//! Server-rendered pages: minijinja templates (`templates/*.html`, built into
//! the binary, HTML-escaped automatically) and the studio's words in French,
//! English and Arabic (`words.toml`). The page's language is the `ui` query
//! parameter when given (then remembered in a cookie), else that cookie, else
//! the browser's first known language, else French.

use std::collections::BTreeMap;

use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::{HeaderMap, Uri};
use minijinja::{context, Environment, Value};

/// The languages the studio's own pages are written in, and their names.
pub const UI_LANGUAGES: [(&str, &str); 3] = [("fr", "Français"), ("en", "English"), ("ar", "العربية")];
/// The cookie that remembers the page language.
pub const UI_COOKIE: &str = "awal_ui";

const TEMPLATES: [(&str, &str); 8] = [
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("home.html", include_str!("templates/home.html")),
    ("record_languages.html", include_str!("templates/record_languages.html")),
    ("record_phrases.html", include_str!("templates/record_phrases.html")),
    ("accounts.html", include_str!("templates/accounts.html")),
    ("learners.html", include_str!("templates/learners.html")),
    ("message.html", include_str!("templates/message.html")),
];

/// The language a page is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ui {
    pub lang: &'static str,
    /// It was chosen by this request's `ui` parameter: the response remembers it.
    pub chosen: bool,
}

impl Ui {
    /// The page language of a request (see the module's comment).
    pub fn of(uri: &Uri, headers: &HeaderMap) -> Ui {
        let known = |code: &str| UI_LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == code);
        let asked = uri.query().into_iter().flat_map(|q| q.split('&')).find_map(|p| p.strip_prefix("ui="));
        if let Some(lang) = asked.and_then(known) {
            return Ui { lang, chosen: true };
        }
        let remembered = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == UI_COOKIE)
            .and_then(|c| known(c.value()));
        if let Some(lang) = remembered {
            return Ui { lang, chosen: false };
        }
        // "ar-MA,ar;q=0.9,fr;q=0.8": the first listed that the studio speaks.
        let accepted = headers.get(ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).unwrap_or_default();
        let lang = accepted
            .split(',')
            .filter_map(|item| item.split(';').next())
            .find_map(|tag| known(tag.trim().split('-').next().unwrap_or_default()))
            .unwrap_or("fr");
        Ui { lang, chosen: false }
    }

    pub fn right_to_left(self) -> bool {
        self.lang == "ar"
    }
}

/// The studio's pages, made once.
pub fn pages() -> &'static Pages {
    static PAGES: std::sync::OnceLock<Pages> = std::sync::OnceLock::new();
    PAGES.get_or_init(Pages::new)
}

/// The templates and the words they are filled with.
pub struct Pages {
    env: Environment<'static>,
    /// Language → word key → text.
    words: BTreeMap<String, BTreeMap<String, String>>,
}

impl Pages {
    pub fn new() -> Pages {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).unwrap_or_else(|e| panic!("studio template {name}: {e}"));
        }
        let words = toml::from_str(include_str!("words.toml")).expect("studio/words.toml parses");
        Pages { env, words }
    }

    /// Renders template `name` in `ui`'s language with `page`'s values; every
    /// template also sees `t` (the words), `ui`, `dir` and `languages`.
    pub fn render(&self, name: &str, ui: Ui, page: Value) -> Result<String, minijinja::Error> {
        let languages: Vec<Value> =
            UI_LANGUAGES.iter().map(|&(code, name)| context! { code => code, name => name }).collect();
        let context = context! {
            t => self.words.get(ui.lang),
            ui => ui.lang,
            dir => if ui.right_to_left() { "rtl" } else { "ltr" },
            languages => languages,
            ..page
        };
        self.env.get_template(name)?.render(context)
    }

    /// One word in `lang` (for text made outside a template).
    pub fn word(&self, lang: &str, key: &str) -> String {
        self.words.get(lang).and_then(|w| w.get(key)).cloned().unwrap_or_else(|| key.to_string())
    }
}

impl Default for Pages {
    fn default() -> Self {
        Pages::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_word() {
        let pages = Pages::new();
        let keys = |lang: &str| pages.words[lang].keys().cloned().collect::<Vec<_>>();
        for (lang, _) in UI_LANGUAGES {
            assert_eq!(keys(lang), keys("en"), "words.toml: [{lang}] and [en] differ in their keys");
        }
    }

    #[test]
    fn the_page_language_comes_from_the_query_the_cookie_or_the_browser() {
        let ui_of = |uri: &str, headers: &[(&str, &str)]| {
            let mut request = axum::http::Request::builder().uri(uri);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let parts = request.body(()).unwrap().into_parts().0;
            Ui::of(&parts.uri, &parts.headers)
        };
        assert_eq!(ui_of("/?ui=ar", &[]), Ui { lang: "ar", chosen: true });
        assert_eq!(ui_of("/?ui=xx", &[("cookie", "awal_ui=en")]).lang, "en");
        assert_eq!(ui_of("/", &[("accept-language", "es-ES,ar-MA;q=0.9,fr;q=0.8")]).lang, "ar");
        assert_eq!(ui_of("/", &[]).lang, "fr");
        let page = Pages::new()
            .render(
                "message.html",
                ui_of("/?ui=ar", &[]),
                context! {
                title => "<script>", message => "x" },
            )
            .unwrap();
        assert!(page.contains("dir=\"rtl\"") && page.contains("&lt;script&gt;"), "{page}");
    }
}
