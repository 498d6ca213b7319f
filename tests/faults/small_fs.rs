//! A filesystem of the test's own that can be filled up and freed: a tmpfs mounted on a
//! temporary folder (root only: `mount`). Without root the test fails with a clear message;
//! it never skips.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it, e.g. `64m`).
    pub fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a tmpfs failed: this fault test needs root (mount -t tmpfs), \
             as .ci/run has"
        );
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills every free byte with a file of its own, until the filesystem refuses more.
    pub fn fill(&self) -> Filler {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler created");
        let mut chunk = vec![0u8; 1 << 20];
        while !chunk.is_empty() {
            match file.write_all(&chunk) {
                Ok(()) => {}
                // Full for this size: go on with smaller writes down to a byte.
                Err(_) => chunk.truncate(chunk.len() / 2),
            }
        }
        file.sync_all().ok();
        Filler { path }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        // Lazy: a process still holding a file there does not keep the mount busy.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The file that fills a [`SmallFs`]; removing it frees the space.
pub struct Filler {
    path: PathBuf,
}

impl Filler {
    pub fn free(self) {
        std::fs::remove_file(&self.path).expect("filler removed");
    }
}
