//! The command line.

use crate::*;

pub(crate) struct Options {
    pub(crate) contacts: usize,
    pub(crate) random_contacts: usize,
    pub(crate) only: Vec<String>,
    pub(crate) read_secs: u64,
    pub(crate) writer_secs: u64,
    pub(crate) crash_rounds: usize,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) bin: PathBuf,
    pub(crate) database_url: Option<String>,
}

impl Options {
    pub(crate) fn parse() -> Result<Options> {
        let mut args = std::env::args().skip(1);
        let number = |text: Option<String>| -> Result<usize> {
            let text = text.ok_or("missing value")?;
            Ok(text.replace(['_', ','], "").parse()?)
        };
        let mut options = Options {
            contacts: 1_000_000,
            random_contacts: usize::MAX,
            only: Vec::new(),
            read_secs: 10,
            writer_secs: 30,
            crash_rounds: 3,
            dir: None,
            bin: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/campaignd"),
            database_url: None,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--contacts" => options.contacts = number(args.next())?,
                "--random-contacts" => options.random_contacts = number(args.next())?,
                "--only" => {
                    let list = args.next().ok_or("--only needs a list")?;
                    options.only = list.split(',').map(|s| s.trim().to_string()).collect();
                }
                "--read-secs" => options.read_secs = number(args.next())? as u64,
                "--writer-secs" => options.writer_secs = number(args.next())? as u64,
                "--crash-rounds" => options.crash_rounds = number(args.next())?,
                "--dir" => options.dir = Some(args.next().ok_or("--dir needs a path")?.into()),
                "--bin" => options.bin = args.next().ok_or("--bin needs a path")?.into(),
                "--database-url" => {
                    options.database_url = Some(args.next().ok_or("--database-url needs a URL")?)
                }
                "-h" | "--help" => {
                    println!("see the top of bench/load/main.rs for the options");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other}").into()),
            }
        }
        if options.random_contacts == usize::MAX {
            options.random_contacts = options.contacts;
        }
        const KNOWN: [&str; 7] = [
            "upsert", "reads", "list", "writers", "startup", "random", "crash",
        ];
        // What is about the SQLite file: its start-up over the file, kill -9 and its check.
        if options.database_url.is_some()
            && let Some(bad) = options
                .only
                .iter()
                .find(|s| ["startup", "crash"].contains(&s.as_str()))
        {
            return Err(format!("{bad} measures the SQLite file; not with --database-url").into());
        }
        if let Some(bad) = options.only.iter().find(|s| !KNOWN.contains(&s.as_str())) {
            return Err(format!("unknown scenario {bad}; known: {}", KNOWN.join(", ")).into());
        }
        Ok(options)
    }

    pub(crate) fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}
