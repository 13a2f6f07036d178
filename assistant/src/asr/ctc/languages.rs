//! Which installed CTC recognizer hears a kiosk language, and under which of
//! the codes it lists. Kiosk languages are named by their corpus file (`wol`,
//! `fuc`, `ary`); published checkpoints by whatever their authors chose: MMS
//! by ISO 639-3 (`wol`, and `ful` for the Fula languages), model cards often
//! by ISO 639-1 (`wo`, `ff`). A kiosk language is heard by a model that lists
//! its own code, else one of the codes of its group below.

use crate::models::{InstalledModel, ModelStore, Role};

/// Codes that name the same language for a recognizer, the kiosk's first.
/// Pulaar (`fuc`) and Fula (`ff`) share MMS's `ful` adapter, trained on the
/// Fula languages together.
const SAME_LANGUAGE: &[&[&str]] = &[
    &["wol", "wo"],
    &["fuc", "ff", "ful", "fuf"],
    &["ff", "ful", "fuc", "fuf"],
    &["ar", "ara", "arb"],
    &["fr", "fra", "fre"],
    &["en", "eng"],
];

/// The code in `listed` (a model's languages) under which it hears the kiosk
/// language `code`: the same code, else another name of the same language.
pub fn matching(code: &str, listed: &[String]) -> Option<String> {
    if let Some(same) = listed.iter().find(|l| l.eq_ignore_ascii_case(code)) {
        return Some(same.clone());
    }
    let group = SAME_LANGUAGE.iter().find(|group| group[0].eq_ignore_ascii_case(code))?;
    group.iter().find_map(|alias| listed.iter().find(|l| l.eq_ignore_ascii_case(alias)).cloned())
}

/// An installed CTC recognizer chosen for a kiosk language.
#[derive(Debug, Clone)]
pub struct CtcChoice {
    pub model: InstalledModel,
    /// The model's code for the language (its adapter and vocabulary for MMS).
    pub language: String,
}

/// The installed CTC recognizer for the kiosk language `code`, if one lists
/// it: one listing the code itself before one listing another name of it,
/// then by id (reading install records only; nothing is loaded).
pub fn installed_for(store: &ModelStore, code: &str) -> Option<CtcChoice> {
    let mut choices: Vec<(bool, CtcChoice)> = store
        .list()
        .into_iter()
        .filter(|model| model.record.role == Role::Ctc)
        .filter_map(|model| {
            let language = matching(code, &model.record.languages)?;
            Some((!language.eq_ignore_ascii_case(code), CtcChoice { model, language }))
        })
        .collect();
    // `list` is by id and the sort is stable: same-code models first, each group by id.
    choices.sort_by_key(|(alias, _)| *alias);
    choices.into_iter().next().map(|(_, choice)| choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn kiosk_codes_find_the_model_codes_of_their_language() {
        assert_eq!(matching("wol", &listed(&["wo"])).as_deref(), Some("wo"));
        assert_eq!(matching("wol", &listed(&["ful", "wol"])).as_deref(), Some("wol"));
        assert_eq!(matching("fuc", &listed(&["ful", "wol"])).as_deref(), Some("ful"));
        assert_eq!(matching("ff", &listed(&["ful"])).as_deref(), Some("ful"));
        assert_eq!(matching("fuc", &listed(&["ff"])).as_deref(), Some("ff"));
        assert_eq!(matching("ary", &listed(&["ar"])), None, "Darija is not heard by an MSA model");
        assert_eq!(matching("zgh", &listed(&["wol", "ful"])), None);
    }
}
