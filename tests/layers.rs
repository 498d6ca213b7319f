//! The layering of `src/`, read from its `use crate::…` lines: the domain is pure (it names
//! no other part of jalon), and no top-level module imports one that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module of each file → the top-level modules its code imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut folders = vec![src.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
            if module == "lib" || module == "main" {
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap();
            let imported = imports.entry(module.clone()).or_default();
            for line in code.lines().map(str::trim_start) {
                if line.starts_with("//") {
                    continue;
                }
                for (at, _) in line.match_indices("crate::") {
                    let name: String = line[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        imported.insert(name);
                    }
                }
            }
        }
    }
    imports
}

#[test]
fn the_domain_imports_no_other_part_of_jalon() {
    let imports = imports();
    let domain = &imports["domain"];
    assert!(domain.is_empty(), "src/domain imports {domain:?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let imports = imports();
    let mut cycles = Vec::new();
    for (module, imported) in &imports {
        for other in imported {
            if module < other && imports.get(other).is_some_and(|back| back.contains(module)) {
                cycles.push(format!("{module} ↔ {other}"));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:?}");
    // The scan sees imports at all: the web layer uses the store.
    assert!(imports["web"].contains("store"));
}
