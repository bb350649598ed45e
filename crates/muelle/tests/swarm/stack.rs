//! The test stack, written by hand as the stack reader would plan it: an
//! overlay network, a secret named by its content hash, and a `probe`
//! service with two replicas, a health check, start-first updates that
//! roll back on failure, and DNS round robin.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use bollard::Docker;
use bollard::models::{
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, NetworkAttachmentConfig,
    NetworkCreateRequest, SecretSpec, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    ServiceSpecRollbackConfig, ServiceSpecRollbackConfigFailureActionEnum,
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum, TaskSpec,
    TaskSpecContainerSpec, TaskSpecContainerSpecFile, TaskSpecContainerSpecSecrets,
    TaskSpecResources, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use muelle::stack::{NAMESPACE_LABEL, StackPlan};
use muelle::swarm::FollowOptions;
use sha2::{Digest, Sha256};

use crate::node::{Node, ProbeImages};

/// A second in the Engine's nanoseconds.
const SECOND: i64 = 1_000_000_000;

/// The stack under test on the node.
pub struct Stack {
    pub docker: Docker,
    /// The node's engine address, for the docker CLI.
    pub endpoint: String,
    pub namespace: String,
    pub images: ProbeImages,
}

impl Stack {
    pub fn new(node: &Node, images: ProbeImages) -> Stack {
        Stack {
            docker: node.docker.clone(),
            endpoint: node.endpoint.clone(),
            namespace: node.id.clone(),
            images,
        }
    }

    /// The full name of a service of the stack.
    pub fn full(&self, service: &str) -> String {
        format!("{}_{service}", self.namespace)
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(NAMESPACE_LABEL.to_owned(), self.namespace.clone())])
    }

    /// The secret's name for `content`: `<stack>_token_<hash>`.
    pub fn secret_name(&self, content: &str) -> String {
        let hash = hex::encode(Sha256::digest(content.as_bytes()));
        format!("{}_token_{}", self.namespace, &hash[..12])
    }

    /// The stack with the probe on `image`, version label `version`, and
    /// its token secret holding `secret`.
    pub fn plan(&self, image: &str, version: &str, secret: &str) -> StackPlan {
        self.plan_of(
            BTreeMap::from([(
                "probe".to_owned(),
                self.probe("probe", image, version, secret),
            )]),
            secret,
        )
    }

    /// The stack with these services and the token secret holding `secret`.
    pub fn plan_of(&self, services: BTreeMap<String, ServiceSpec>, secret: &str) -> StackPlan {
        StackPlan {
            namespace: self.namespace.clone(),
            networks: vec![NetworkCreateRequest {
                name: self.full("backend"),
                driver: Some("overlay".into()),
                attachable: Some(true),
                labels: Some(self.labels()),
                ..Default::default()
            }],
            secrets: vec![SecretSpec {
                name: Some(self.secret_name(secret)),
                labels: Some(self.labels()),
                data: Some(base64::engine::general_purpose::STANDARD.encode(secret)),
                ..Default::default()
            }],
            configs: Vec::new(),
            services,
        }
    }

    /// A probe-like service: healthy while `/healthy` exists in its image.
    pub fn probe(&self, service: &str, image: &str, version: &str, secret: &str) -> ServiceSpec {
        let mut labels = self.labels();
        labels.insert("muelle.version".into(), version.into());
        labels.insert("com.docker.stack.image".into(), image.into());
        ServiceSpec {
            name: Some(self.full(service)),
            labels: Some(labels),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image.into()),
                    command: Some(vec!["sleep".into(), "infinity".into()]),
                    env: Some(vec!["TOKEN_FILE=/run/secrets/token".into()]),
                    labels: Some(self.labels()),
                    health_check: Some(HealthConfig {
                        test: Some(vec![
                            "CMD".into(),
                            "test".into(),
                            "-f".into(),
                            "/healthy".into(),
                        ]),
                        interval: Some(SECOND),
                        timeout: Some(SECOND),
                        retries: Some(2),
                        start_period: Some(0),
                        ..Default::default()
                    }),
                    // `sleep` as pid 1 ignores SIGTERM: do not wait 10 s.
                    stop_grace_period: Some(SECOND),
                    secrets: Some(vec![TaskSpecContainerSpecSecrets {
                        file: Some(TaskSpecContainerSpecFile {
                            name: Some("token".into()),
                            uid: Some("0".into()),
                            gid: Some("0".into()),
                            mode: Some(0o444),
                        }),
                        secret_name: Some(self.secret_name(secret)),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        memory_bytes: Some(64 * 1024 * 1024),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
                    delay: Some(SECOND),
                    ..Default::default()
                }),
                networks: Some(vec![NetworkAttachmentConfig {
                    target: Some(self.full("backend")),
                    aliases: Some(vec![service.into()]),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated { replicas: Some(2) }),
                ..Default::default()
            }),
            update_config: Some(ServiceSpecUpdateConfig {
                parallelism: Some(1),
                failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK),
                monitor: Some(5 * SECOND),
                order: Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST),
                ..Default::default()
            }),
            rollback_config: Some(ServiceSpecRollbackConfig {
                parallelism: Some(1),
                failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
                monitor: Some(5 * SECOND),
                order: Some(ServiceSpecRollbackConfigOrderEnum::START_FIRST),
                ..Default::default()
            }),
            endpoint_spec: Some(EndpointSpec {
                mode: Some(EndpointSpecModeEnum::DNSRR),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// Follow options for the tests: generous, since CI machines are slow.
pub fn follow() -> FollowOptions {
    FollowOptions {
        timeout: std::time::Duration::from_secs(240),
        detach: false,
    }
}
