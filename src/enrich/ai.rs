//! AI-agent classification: which identities are AI agents, and the signals that decided
//! it, kept as evidence.
//!
//! Signals come in two strengths. A **strong** signal decides on its own: a name,
//! description or tag value with a word such as `llm`, `gpt`, `copilot`, `langchain` or
//! `mcp`; an AI workload tag (`workload-type=ai-agent`); a grant that covers invoking
//! models or agents (`bedrock:InvokeModel`, `bedrock:*`, `bedrock-agentcore:Invoke*`,
//! `sagemaker:InvokeEndpoint`, Azure OpenAI / Cognitive Services user roles,
//! `roles/aiplatform.user`) — read-only grants (`bedrock:List*`, as the AWS managed
//! ReadOnlyAccess has) and blanket ones (`*`) are not evidence; a trust that lets an AI
//! service (Bedrock, AgentCore) assume the identity; or the source saying so
//! (`attributes.ai_agent`). A **weak** signal (`agent`, `bot`, `assistant` in a name)
//! only counts with a strong one: a CI build agent, a monitoring agent or a chat-ops
//! bot is automation, not AI, and a `robotics-team` user has no `bot` word at all
//! (names are split into words, `camelCase` included, never searched as substrings).
//! Every list is configurable in `nhiscan.toml` (`[ai]`). A human user (see
//! [`super::identity_type`]) is never an AI agent.

use crate::glob;
use crate::hash::FastMap;
use crate::inventory::{Identity, PrincipalType};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Words (lower case) that mark an AI agent wherever they appear as a whole word.
pub const STRONG_WORDS: &[&str] = &[
    "ai",
    "genai",
    "llm",
    "llms",
    "gpt",
    "chatgpt",
    "openai",
    "copilot",
    "chatbot",
    "langchain",
    "langgraph",
    "llamaindex",
    "autogen",
    "crewai",
    "mcp",
    "rag",
    "claude",
    "anthropic",
    "gemini",
    "bedrock",
    "agentcore",
    "sagemaker",
    "aiplatform",
    "vertexai",
];

/// Words that suggest an agent but also name plain automation.
pub const WEAK_WORDS: &[&str] = &["agent", "agents", "bot", "bots", "assistant", "assist"];

/// Tag keys whose value says what the workload is, and the values that mean AI.
pub const WORKLOAD_TAG_KEYS: &[&str] = &[
    "workload-type",
    "workload_type",
    "workloadType",
    "ai",
    "ai-agent",
    "ai_agent",
    "nhi-type",
];
pub const AI_TAG_VALUES: &[&str] = &[
    "ai",
    "ai-agent",
    "ai_agent",
    "agent",
    "llm",
    "genai",
    "true",
    "yes",
    "mcp-server",
];

/// Permissions and roles that let an identity run models or agents (`*` matches
/// anything). A grant counts when it covers one of them: `bedrock:Invoke*` and
/// `bedrock:*` do, `bedrock:List*` and `bedrock-agentcore:Get*` do not, and neither do
/// `*` or `* except ...` (full or near-full access says nothing about AI).
pub const AI_PERMISSIONS: &[&str] = &[
    "bedrock:InvokeModel*",
    "bedrock:InvokeAgent",
    "bedrock:InvokeInlineAgent",
    "bedrock:InvokeFlow",
    "bedrock:Converse*",
    "bedrock:RetrieveAndGenerate*",
    "bedrock-agentcore:Invoke*",
    "sagemaker:InvokeEndpoint*",
    "aiplatform.endpoints.predict",
    "aiplatform.endpoints.streamRawPredict",
    "aiplatform.endpoints.generateContent",
    "aiplatform.endpoints.streamGenerateContent",
    "aiplatform.reasoningEngines.query",
    "roles/aiplatform.user",
    "roles/aiplatform.admin",
    "Cognitive Services OpenAI User",
    "Cognitive Services OpenAI Contributor",
    "Cognitive Services User",
    "Azure AI Developer",
    "Azure AI User",
    "Azure AI Inference Deployment Operator",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/*/action",
];

/// Services that run agents: a trust letting them assume an identity makes it an agent's.
pub const AI_SERVICES: &[&str] = &["bedrock.amazonaws.com", "bedrock-agentcore.amazonaws.com"];

/// The classifier's lists, from `[ai]` in `nhiscan.toml` or the defaults above.
#[derive(Debug, Clone)]
pub struct AiClassifier {
    pub strong_words: Vec<String>,
    pub weak_words: Vec<String>,
    /// Words that, next to a weak word, say it is not AI (`build agent`, `ssm agent`).
    pub not_ai_words: Vec<String>,
    pub tag_keys: Vec<String>,
    pub tag_values: Vec<String>,
    pub permissions: Vec<String>,
    pub services: Vec<String>,
}

impl Default for AiClassifier {
    fn default() -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        AiClassifier {
            strong_words: owned(STRONG_WORDS),
            weak_words: owned(WEAK_WORDS),
            not_ai_words: owned(&[
                "build",
                "ci",
                "runner",
                "deploy",
                "monitoring",
                "monitor",
                "ssm",
                "datadog",
                "newrelic",
                "splunk",
                "backup",
                "puppet",
                "chef",
                "octopus",
                "vsts",
                "ado",
                "jenkins",
                "teamcity",
                "bamboo",
                "omsagent",
                "mdatp",
            ]),
            tag_keys: owned(WORKLOAD_TAG_KEYS),
            tag_values: owned(AI_TAG_VALUES),
            permissions: owned(AI_PERMISSIONS),
            services: owned(AI_SERVICES),
        }
    }
}

/// The verdict for one identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiVerdict {
    pub ai_agent: bool,
    /// Every signal found, strong and weak, as `kind: detail`.
    pub signals: Vec<String>,
}

/// Splits text into lower-case words: on anything not alphanumeric, and between a
/// lower-case letter or digit and an upper-case letter (`supportAgentLLM` → support,
/// agent, llm).
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_ascii() {
            current.push(c.to_ascii_lowercase());
        } else {
            current.extend(c.to_lowercase());
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Grants that allow (nearly) everything: no evidence of what the identity is for.
fn is_blanket(action: &str) -> bool {
    let action = action.trim();
    action == "*" || action == "*:*" || action.starts_with("* except")
}

impl AiClassifier {
    /// The classifier ready to judge many identities: its word lists as one lookup.
    pub fn matcher(&self) -> AiMatcher<'_> {
        let mut words: FastMap<&str, u8> = FastMap::default();
        for (list, kind) in [
            (&self.strong_words, STRONG),
            (&self.weak_words, WEAK),
            (&self.not_ai_words, NOT_AI),
        ] {
            for word in list {
                *words.entry(word.as_str()).or_default() |= kind;
            }
        }
        AiMatcher {
            lists: self,
            words,
            permission_starts: self.permissions.iter().map(|p| literal_start(p)).collect(),
        }
    }
}

/// Kinds of a listed word, as bits: a word may be on more than one list.
const STRONG: u8 = 1;
const WEAK: u8 = 2;
const NOT_AI: u8 = 4;

/// The first byte of a glob, lower-cased, when it is literal; `None` when it is `*`
/// (or the glob is empty), which any text may overlap.
fn literal_start(glob: &str) -> Option<u8> {
    glob.bytes()
        .next()
        .filter(|&b| b != b'*')
        .map(|b| b.to_ascii_lowercase())
}

/// An [`AiClassifier`] ready to judge many identities ([`AiClassifier::matcher`]).
pub struct AiMatcher<'c> {
    lists: &'c AiClassifier,
    /// Every listed word, with the kinds of the lists it is on.
    words: FastMap<&'c str, u8>,
    /// [`literal_start`] of each permission: two globs whose literal first bytes differ
    /// cannot overlap, which rules out most pairs before [`glob::overlaps`] runs.
    permission_starts: Vec<Option<u8>>,
}

impl AiMatcher<'_> {
    fn kind(&self, word: &str) -> u8 {
        self.words.get(word).copied().unwrap_or(0)
    }

    pub fn classify(&self, identity: &Identity) -> AiVerdict {
        let lists = self.lists;
        let mut strong = Vec::new();
        let mut weak = Vec::new();

        if let Some(declared) = identity
            .attributes
            .get("ai_agent")
            .and_then(|v| v.as_bool())
        {
            let signal = format!("declared: attributes.ai_agent = {declared}");
            return AiVerdict {
                ai_agent: declared,
                signals: vec![signal],
            };
        }
        let mut texts: Vec<(&str, &str)> = vec![("name", identity.name.as_str())];
        if let Some(description) = &identity.description {
            texts.push(("description", description));
        }
        for value in identity.tags.values() {
            texts.push(("tag", value));
        }
        for (place, text) in texts {
            let words = words(text);
            let not_ai = words.iter().any(|w| self.kind(w) & NOT_AI != 0);
            for word in &words {
                let kind = self.kind(word);
                if kind & STRONG != 0 {
                    push(&mut strong, format!("{place}: word `{word}` in {text:?}"));
                } else if kind & WEAK != 0 && !not_ai {
                    push(&mut weak, format!("{place}: word `{word}` in {text:?}"));
                }
            }
        }
        for (key, value) in &identity.tags {
            if lists.tag_keys.iter().any(|k| k.eq_ignore_ascii_case(key))
                && lists
                    .tag_values
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(value.trim()))
            {
                push(&mut strong, format!("tag: {key}={value}"));
            }
        }
        let permissions = &identity.permissions;
        let mut granted: Vec<&str> = permissions
            .privileged_actions
            .iter()
            .chain(&permissions.wildcard_actions)
            .chain(&permissions.policies)
            .map(String::as_str)
            .collect();
        for key in ["ai_actions", "ai_services"] {
            if let Some(list) = identity.attributes.get(key).and_then(|v| v.as_array()) {
                granted.extend(list.iter().filter_map(|v| v.as_str()));
            }
        }
        for grant in granted {
            // "bedrock:InvokeModel on *" and "Azure AI Developer on /subscriptions/..."
            let action = grant.split(" on ").next().unwrap_or(grant).trim();
            if is_blanket(action) {
                continue;
            }
            let start = literal_start(action);
            let overlaps =
                (lists.permissions.iter().zip(&self.permission_starts)).any(|(p, &p_start)| {
                    (p_start.is_none() || start.is_none() || p_start == start)
                        && glob::overlaps(p, action)
                });
            if overlaps {
                push(&mut strong, format!("permission: {grant}"));
            }
        }
        for trust in &identity.trust {
            if trust.principal_type == PrincipalType::Service
                && lists
                    .services
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&trust.principal))
            {
                push(
                    &mut strong,
                    format!("trust: assumable by {}", trust.principal),
                );
            }
        }
        let ai_agent = !strong.is_empty();
        strong.extend(weak.into_iter().map(|w| format!("weak {w}")));
        AiVerdict {
            ai_agent,
            signals: strong,
        }
    }
}

fn push(list: &mut Vec<String>, signal: String) {
    if !list.contains(&signal) {
        list.push(signal);
    }
}

/// `[ai]` in `nhiscan.toml`: replaces a default list, or adds to it with `extra_*`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AiConfig {
    #[serde(flatten)]
    pub lists: BTreeMap<String, Vec<String>>,
}

impl AiConfig {
    /// The classifier: the defaults with each configured list replacing its default
    /// (`strong_words = [...]`) or extending it (`extra_strong_words = [...]`).
    pub fn classifier(&self) -> Result<AiClassifier, String> {
        let mut classifier = AiClassifier::default();
        for (key, values) in &self.lists {
            let (extend, name) = match key.strip_prefix("extra_") {
                Some(name) => (true, name),
                None => (false, key.as_str()),
            };
            let list = match name {
                "strong_words" => &mut classifier.strong_words,
                "weak_words" => &mut classifier.weak_words,
                "not_ai_words" => &mut classifier.not_ai_words,
                "tag_keys" => &mut classifier.tag_keys,
                "tag_values" => &mut classifier.tag_values,
                "permissions" => &mut classifier.permissions,
                "services" => &mut classifier.services,
                other => {
                    return Err(format!(
                        "[ai] has no list `{other}`: use strong_words, weak_words, \
                         not_ai_words, tag_keys, tag_values, permissions or services \
                         (or extra_<list> to add to the defaults)"
                    ))
                }
            };
            let values: Vec<String> = values
                .iter()
                .map(|v| match name {
                    "strong_words" | "weak_words" | "not_ai_words" => v.to_lowercase(),
                    _ => v.clone(),
                })
                .collect();
            if extend {
                list.extend(values);
            } else {
                *list = values;
            }
        }
        Ok(classifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{IdentityKind, Provider, Scope, ScopeKind, Trust};

    fn identity(name: &str) -> Identity {
        Identity::new(
            Provider::Aws,
            Scope {
                kind: ScopeKind::Account,
                id: "111111111111".into(),
                name: None,
            },
            name,
            name,
            IdentityKind::Role,
        )
    }

    fn classify(identity: &Identity) -> AiVerdict {
        AiClassifier::default().matcher().classify(identity)
    }

    #[test]
    fn words_split_on_separators_and_camel_case() {
        assert_eq!(
            words("supportAgentLLM-v2"),
            ["support", "agent", "llm", "v2"]
        );
        assert_eq!(words("robotics-team"), ["robotics", "team"]);
        assert_eq!(words("GPT4o_helper"), ["gpt4o", "helper"]);
    }

    #[test]
    fn strong_names_tags_permissions_and_trusts_classify() {
        assert!(classify(&identity("support-agent-llm")).ai_agent);
        assert!(classify(&identity("copilot-connector")).ai_agent);
        let mut tagged = identity("ticket-router");
        tagged.tags.insert("workload-type", "ai-agent");
        let verdict = classify(&tagged);
        assert!(verdict.ai_agent);
        assert!(verdict
            .signals
            .iter()
            .any(|s| s == "tag: workload-type=ai-agent"));
        let mut invoker = identity("ticket-router");
        invoker
            .permissions
            .privileged_actions
            .push("bedrock:InvokeModel".into());
        assert!(classify(&invoker).ai_agent);
        let mut whole_service = identity("ticket-router");
        whole_service
            .attributes
            .insert("ai_actions", serde_json::json!(["bedrock:*"]));
        assert!(classify(&whole_service).ai_agent);
        let mut trusted = identity("orchestrator");
        trusted.trust.push(Trust {
            principal: "bedrock.amazonaws.com".into(),
            principal_type: PrincipalType::Service,
            conditions: Vec::new(),
        });
        assert!(classify(&trusted).ai_agent);
    }

    #[test]
    fn look_alikes_are_not_agents() {
        for name in [
            "robotics-team",
            "vm-build-agent-01",
            "mail-relay",
            "datadog-agent",
            "slack-bot",
            "maintenance",
        ] {
            let verdict = classify(&identity(name));
            assert!(!verdict.ai_agent, "{name}: {:?}", verdict.signals);
        }
        // A weak word is kept as a signal, for the record.
        assert!(classify(&identity("slack-bot")).signals[0].starts_with("weak "));
    }

    #[test]
    fn read_only_and_blanket_grants_are_no_evidence() {
        // What the AWS managed ReadOnlyAccess lists for the AI services, and full access.
        let mut reader = identity("analytics-reader");
        reader.attributes.insert(
            "ai_actions",
            serde_json::json!(["bedrock:List*", "bedrock:Get*", "bedrock-agentcore:Get*"]),
        );
        reader.permissions.wildcard_actions =
            vec!["*".into(), "* except iam:*, organizations:*".into()];
        reader
            .permissions
            .policies
            .push("Cognitive Services OpenAI Reader on /subscriptions/1".into());
        let verdict = classify(&reader);
        assert!(!verdict.ai_agent, "{:?}", verdict.signals);
        assert!(verdict.signals.is_empty(), "{:?}", verdict.signals);
    }

    #[test]
    fn the_source_can_say_so_and_config_extends_lists() {
        let mut declared = identity("support-agent-llm");
        declared
            .attributes
            .insert("ai_agent", serde_json::json!(false));
        assert!(!classify(&declared).ai_agent);
        let config = AiConfig {
            lists: [("extra_strong_words".to_string(), vec!["Jarvis".to_string()])]
                .into_iter()
                .collect(),
        };
        let classifier = config.classifier().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            classifier
                .matcher()
                .classify(&identity("jarvis-runner"))
                .ai_agent
        );
        let bad = AiConfig {
            lists: [("keywords".to_string(), vec![])].into_iter().collect(),
        };
        assert!(bad.classifier().is_err());
    }

    /// Globs whose literal first bytes differ never overlap, so skipping them changes
    /// no verdict: checked against every default permission, in both cases and with
    /// wildcards first, last and alone.
    #[test]
    fn permissions_ruled_out_by_their_first_byte_never_overlap() {
        let actions = [
            "bedrock:InvokeModel",
            "BEDROCK:invokemodel",
            "bedrock:*",
            "*:InvokeModel",
            "*",
            "",
            "s3:GetObject",
            "sagemaker:Invoke*",
            "roles/aiplatform.user",
            "Cognitive Services OpenAI User",
            "cognitive services user",
        ];
        let mut overlapping = 0;
        for permission in AI_PERMISSIONS.iter().chain(&["*", "*:Invoke*", ""]) {
            for action in actions {
                let (p, a) = (literal_start(permission), literal_start(action));
                let skipped = p.is_some() && a.is_some() && p != a;
                let overlaps = glob::overlaps(permission, action);
                assert!(!(skipped && overlaps), "{permission} / {action}");
                overlapping += usize::from(overlaps);
            }
        }
        assert!(overlapping > 10, "{overlapping}");
    }

    #[test]
    fn words_lower_case_ascii_and_other_letters_alike() {
        assert_eq!(
            words("ÄgentLLM Straße-ΣΟΦΙΑ"),
            ["ägent", "llm", "straße", "σοφια"]
        );
    }
}
