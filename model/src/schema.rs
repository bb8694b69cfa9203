//! The input rules of [`crate::validate`] written as JSON Schema, for the OpenAPI document.
//!
//! A client that generates requests from the document (schemathesis, a code generator) must get
//! exactly the rules the backend enforces: a value the schema allows is accepted, a value it
//! refuses is refused with 400. So every pattern here is the rule of the function it names, and
//! `tests::patterns_agree_with_the_rules` checks each against its function on the edge cases.
//!
//! Patterns use only what ECMA-262, Python's `re` and Rust's `regex` read alike (no `\d`, `\w`,
//! `\s`: their meaning differs between Unicode-aware engines).

/// [`crate::validate::product_name`]: Codis's own `^\w[\w.-]*$` with ASCII word characters.
pub const PRODUCT_NAME: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";
/// [`crate::validate::proxy_token`]: 32 lowercase hexadecimal characters.
pub const PROXY_TOKEN: &str = "^[0-9a-f]{32}$";
/// [`crate::validate::address`]: `host:port`, a host of safe characters, port 1 to 65535 written
/// without a leading zero.
pub const ADDRESS: &str = "^[A-Za-z0-9._:\\[\\]-]+:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";
/// [`crate::validate::group_id`] as a string: 1 to 9999.
pub const GROUP_ID: &str = "^[1-9][0-9]{0,3}$";
/// [`crate::validate::slot_id_of`] with [`SLOT_NUM_LIMIT`](crate::types::SLOT_NUM_LIMIT) as a
/// string: 0 to 16383. The API accepts any id a product may have (Codis 3.2 has 1024 slots,
/// Pika's Codis fork `max_slot_num`, at most 16384) and then checks it against the product's own
/// count, answering 400 with that count in the rule.
pub const SLOT_ID: &str =
    "^(0|[1-9][0-9]{0,3}|1[0-5][0-9]{3}|16[0-2][0-9]{2}|163[0-7][0-9]|1638[0-3])$";
/// [`crate::validate::slot_count_of`] with the same limit as a string: 1 to 16384.
pub const SLOT_COUNT: &str =
    "^([1-9][0-9]{0,3}|1[0-5][0-9]{3}|16[0-2][0-9]{2}|163[0-7][0-9]|1638[0-4])$";
/// [`crate::validate::interval_us`] as a string: 0 to 1000000.
pub const INTERVAL_US: &str = "^(0|[1-9][0-9]{0,5}|1000000)$";
/// A key of a rebalance plan ([`crate::types::RebalancePlan`]): a slot id 0 to 16383 as Rust's
/// integer parser reads it (an optional `+`, leading zeros allowed).
pub const PLAN_SLOT_KEY: &str =
    "^[+]?0*([0-9]{1,4}|1[0-5][0-9]{3}|16[0-2][0-9]{2}|163[0-7][0-9]|1638[0-3])$";
/// The characters Rust's `str::trim` removes (Unicode `White_Space`), as a class body.
const WHITE_SPACE: &str =
    "\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// [`crate::validate::datacenter`]: surrounding white space trimmed, then at most 64 of
/// `A-Z a-z 0-9 _ . -` (empty: no data center).
pub fn datacenter_pattern() -> String {
    format!("^[{WHITE_SPACE}]*[A-Za-z0-9_.-]{{0,64}}[{WHITE_SPACE}]*$")
}

/// [`crate::validate::log_level`]: one of the levels in any case, surrounding white space trimmed.
pub fn log_level_pattern() -> String {
    let any_case = |word: &str| -> String {
        word.chars()
            .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
            .collect()
    };
    let words: Vec<String> = ["ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NONE"]
        .iter()
        .map(|w| any_case(w))
        .collect();
    format!("^[{WHITE_SPACE}]*({})[{WHITE_SPACE}]*$", words.join("|"))
}

#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;

    use crate::types::{MAX_GROUP_ID, SLOT_NUM_LIMIT};
    use crate::validate::{MAX_INTERVAL_US, MAX_TEXT_LEN};

    fn string(pattern: &str, max_length: Option<usize>, description: &str) -> Schema {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(pattern))
            .max_length(max_length)
            .description(Some(description))
            .build()
            .into()
    }

    /// A text field that also accepts its value as a JSON integer (`"gid": 3` or `"gid": "3"`).
    fn number_or_text(pattern: &str, min: u64, max: u64, description: &str) -> RefOr<Schema> {
        Schema::OneOf(
            OneOfBuilder::new()
                .item(string(pattern, None, description))
                .item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::Integer))
                        .minimum(Some(min))
                        .maximum(Some(max))
                        .description(Some(description)),
                )
                .build(),
        )
        .into()
    }

    /// A group id (`gid`, `from`, `to`).
    pub fn group_id() -> RefOr<Schema> {
        number_or_text(
            super::GROUP_ID,
            1,
            u64::from(MAX_GROUP_ID),
            "A group id from 1 to 9999, as a string or an integer.",
        )
    }

    /// A slot id (`beg`, `end`, `sid`).
    pub fn slot_id() -> RefOr<Schema> {
        number_or_text(
            super::SLOT_ID,
            0,
            SLOT_NUM_LIMIT as u64 - 1,
            "A slot id from 0 to 16383, as a string or an integer; at most the product's slot count - 1 (1023 on Codis 3.2, max_slot_num - 1 on Pika's Codis fork).",
        )
    }

    /// A number of slots (`num`).
    pub fn slot_count() -> RefOr<Schema> {
        number_or_text(
            super::SLOT_COUNT,
            1,
            SLOT_NUM_LIMIT as u64,
            "A number of slots from 1 to 16384, as a string or an integer; at most the product's slot count (1024 on Codis 3.2, max_slot_num on Pika's Codis fork).",
        )
    }

    /// A slot action interval (`interval`).
    pub fn interval_us() -> RefOr<Schema> {
        number_or_text(
            super::INTERVAL_US,
            0,
            u64::from(MAX_INTERVAL_US),
            "Microseconds from 0 to 1000000, as a string or an integer.",
        )
    }

    /// A `host:port` address (`addr`).
    pub fn address() -> RefOr<Schema> {
        string(
            super::ADDRESS,
            Some(MAX_TEXT_LEN),
            "host:port: a port from 1 to 65535 and a host of letters, digits, '.', '-', '_' (':', '[', ']' for IPv6).",
        )
        .into()
    }

    /// A proxy token (`token`).
    pub fn proxy_token() -> RefOr<Schema> {
        string(
            super::PROXY_TOKEN,
            None,
            "A proxy token: 32 lowercase hexadecimal characters.",
        )
        .into()
    }

    /// A data center name (`datacenter`). An integer is read as its decimal text, which is always
    /// a valid name, so integers are accepted too (within what JSON holds exactly).
    pub fn datacenter() -> RefOr<Schema> {
        let description = "At most 64 of A-Z a-z 0-9 _ . - (surrounding white space is trimmed); empty or absent: no data center. An integer is taken as its decimal text.";
        let max = crate::action::MAX_EXACT_INTEGER;
        Schema::OneOf(
            OneOfBuilder::new()
                .item(string(&super::datacenter_pattern(), None, description))
                .item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::Integer))
                        .minimum(Some(-max))
                        .maximum(Some(max))
                        .description(Some(description)),
                )
                .build(),
        )
        .into()
    }

    /// A dashboard log level (`value`).
    pub fn log_level() -> RefOr<Schema> {
        string(
            &super::log_level_pattern(),
            None,
            "ERROR, WARN, WARNING, INFO, DEBUG or NONE, in any case.",
        )
        .into()
    }

    /// A rebalance plan: slot id (a string) -> target group id.
    pub fn rebalance_plan() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .pattern(Some(super::PLAN_SLOT_KEY)),
            ))
            .additional_properties(Some(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Integer))
                    .minimum(Some(0))
                    .maximum(Some(u32::MAX)),
            ))
            .description(Some(
                "Slot id (0 to 16383, as a string; below the product's slot count) -> target group id, as the dashboard computed it.",
            ))
            .build()
            .into()
    }

    /// A 0/1 flag (`force`, `disabled`, `enabled`): `true`/`false`, `0`/`1` or `"0"`/`"1"`.
    pub fn flag() -> RefOr<Schema> {
        Schema::OneOf(
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean)))
                .item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::Integer))
                        .enum_values(Some([0, 1])),
                )
                .item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .enum_values(Some(["0", "1"])),
                )
                .description(Some(
                    "true or false; 0 or 1 and \"0\" or \"1\" are accepted too.",
                ))
                .build(),
        )
        .into()
    }
}

#[cfg(feature = "openapi")]
pub use openapi::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    fn agree(name: &str, pattern: &str, rule: impl Fn(&str) -> bool, inputs: &[&str]) {
        let re = regex::Regex::new(pattern).expect("pattern compiles");
        for input in inputs {
            assert_eq!(
                re.is_match(input),
                rule(input),
                "{name}: pattern and rule disagree on {input:?}"
            );
        }
    }

    const NUMBERS: &[&str] = &[
        "", "0", "00", "01", "1", "9", "10", "99", "100", "999", "1000", "1019", "1020", "1023",
        "1024", "1025", "1100", "1638", "9999", "10000", "15999", "16000", "16299", "16300",
        "16379", "16380", "16383", "16384", "16385", "16390", "16400", "17000", "20000", "65535",
        "65536", "99999", "100000", "999999", "1000000", "1000001", "2000000", "-1", "+1", "1.0",
        " 1", "1 ", "1\n", "a", "１",
    ];

    #[test]
    fn patterns_agree_with_the_rules() {
        agree(
            "gid",
            GROUP_ID,
            |s| validate::group_id("f", s).is_ok(),
            NUMBERS,
        );
        agree(
            "sid",
            SLOT_ID,
            |s| validate::slot_id_of("f", s, crate::types::SLOT_NUM_LIMIT).is_ok(),
            NUMBERS,
        );
        agree(
            "num",
            SLOT_COUNT,
            |s| validate::slot_count_of("f", s, crate::types::SLOT_NUM_LIMIT).is_ok(),
            NUMBERS,
        );
        agree(
            "interval",
            INTERVAL_US,
            |s| validate::interval_us("f", s).is_ok(),
            NUMBERS,
        );
        let long_host = format!("{}:1", "h".repeat(300));
        agree(
            "addr",
            ADDRESS,
            |s| validate::address("f", s).is_ok(),
            &[
                "127.0.0.1:6379",
                "h:1",
                "h:65535",
                "h:65536",
                "h:0",
                "h:01",
                "h:99999",
                "h:6553",
                "h:65529",
                "h:65530",
                "h:64999",
                "[::1]:80",
                "a:1:2",
                ":1",
                "h:",
                "h",
                "h/x:1",
                "169.254.1.1:80/x?y#",
                "h:80\n",
                "h :80",
                "é:1",
                "a_b-c.d:7",
            ],
        );
        // The length limit is the schema's maxLength, not the pattern.
        assert!(validate::address("f", &long_host).is_err());
        agree(
            "token",
            PROXY_TOKEN,
            |s| validate::proxy_token("f", s).is_ok(),
            &[
                "0123456789abcdef0123456789abcdef",
                "0123456789ABCDEF0123456789abcdef",
                "0123456789abcdef0123456789abcde",
                "0123456789abcdef0123456789abcdef0",
                "0123456789abcdef0123456789abcdeg",
                "",
            ],
        );
        agree(
            "product",
            PRODUCT_NAME,
            |s| validate::product_name("f", s).is_ok(),
            &[
                "codis-demo",
                "_x",
                "9",
                "a.b-c_d",
                ".x",
                "-x",
                "",
                "a b",
                "a\nb",
                "a\n",
                "é",
                "x?y#",
                "a/b",
            ],
        );
        agree(
            "plan key",
            PLAN_SLOT_KEY,
            |s| {
                s.parse::<u16>()
                    .is_ok_and(|sid| usize::from(sid) < crate::types::SLOT_NUM_LIMIT)
            },
            &[
                "0",
                "1023",
                "1024",
                "9999",
                "10000",
                "16383",
                "16384",
                "16400",
                "00016383",
                "+16384",
                "+5",
                "007",
                "0001023",
                "-1",
                "",
                "a",
                "5 ",
                "65536",
                "99999999999999999999",
            ],
        );
        agree(
            "datacenter",
            &datacenter_pattern(),
            |s| validate::datacenter("f", s).is_ok(),
            &[
                "",
                "dc-b",
                " dc-b ",
                "\u{a0}dc\u{3000}",
                "dc b",
                "dc/b",
                "\u{1c}dc",
                "\u{200b}",
                &"d".repeat(64),
                &"d".repeat(65),
                "\t\n",
                "é",
            ],
        );
        agree(
            "loglevel",
            &log_level_pattern(),
            |s| validate::log_level("f", s).is_ok(),
            &[
                "INFO",
                "info",
                " Warn ",
                "WARNING",
                "none",
                "debug\n",
                "TRACE",
                "",
                "IN FO",
                "\u{1c}INFO",
                "ERRORS",
            ],
        );
    }

    /// JSON Schema's `integer` includes `5.0` (the same number as `5`): what the document calls
    /// an integer decodes whether it is written with a fraction of zero or not.
    #[test]
    fn integers_written_with_a_zero_fraction_are_the_same_numbers() {
        use crate::Action;
        let action = |json: &str| serde_json::from_str::<Action>(json).map_err(|e| e.to_string());
        assert_eq!(
            action(r#"{"action":"group-create","gid":5.0}"#),
            Ok(Action::GroupCreate { gid: "5".into() })
        );
        assert_eq!(
            action(r#"{"action":"group-replica-groups-all","enabled":1.0}"#),
            Ok(Action::GroupReplicaGroupsAll { enabled: true })
        );
        assert!(action(r#"{"action":"group-replica-groups-all","enabled":0.5}"#).is_err());
        for bad in ["5.5", "1e300", "9007199254740993", "-9007199254740993"] {
            let json = format!(
                r#"{{"action":"group-add-server","gid":1,"addr":"h:1","datacenter":{bad}}}"#
            );
            let err = action(&json).expect_err(bad);
            assert!(
                err.contains("must be a string or an integer"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            action(r#"{"action":"group-add-server","gid":1,"addr":"h:1","datacenter":-7}"#),
            Ok(Action::GroupAddServer {
                gid: "1".into(),
                addr: "h:1".into(),
                datacenter: "-7".into()
            })
        );
        let plan: crate::console::RebalanceApply =
            serde_json::from_str(r#"{"plan":{"7":123826.0,"8":2}}"#).expect("plan");
        assert_eq!(plan.plan.0.get(&7), Some(&123826));
        assert!(
            serde_json::from_str::<crate::console::RebalanceApply>(r#"{"plan":{"7":1.5}}"#)
                .is_err()
        );
    }
}
