//! From a CloudTrail event's `eventSource` and `eventName` to IAM actions.
//!
//! CloudTrail names the API operation that was called; policies name the
//! IAM actions that authorize operations. The two mostly agree
//! (`s3.amazonaws.com` `PutObject` is `s3:PutObject`), and where they do not,
//! getting it wrong in one direction is harmless and in the other is not:
//! an operation mapped to too *many* actions keeps a permission that was not
//! needed, while one mapped to the *wrong* action lets refinement remove a
//! permission the principal uses. So every table here errs towards more
//! actions, and an event nothing here understands is reported, not dropped.

use crate::model::catalog::{format, ActionId, Catalog};

/// eventSource host names (the part before `.amazonaws.com`) whose IAM
/// service prefix is not the host name itself. A row for a host that never
/// occurs costs nothing; a missing row makes that service's events
/// "unmapped" (listed, and their use not counted), so rows are added for
/// every host whose prefix is known for sure, even rare ones.
const SOURCE_PREFIXES: &[(&str, &str)] = &[
    // ECR's API endpoint is api.ecr.<region>; its actions are ecr:*.
    ("api.ecr", "ecr"),
    // AppStream 2.0 logs as appstream2; its actions are appstream:*.
    ("appstream2", "appstream"),
    // The Cloud Control API's actions are in CloudFormation's namespace
    // (cloudformation:GetResource, cloudformation:CreateResource, ...).
    ("cloudcontrolapi", "cloudformation"),
    // SES's classic endpoint is email.<region>; its actions are ses:*.
    ("email", "ses"),
    // Lex V1's model-building and runtime APIs; both authorize lex:*.
    ("models.lex", "lex"),
    // CloudWatch's API endpoint is monitoring.<region>; its actions are
    // cloudwatch:* (PutMetricData, GetMetricData, ...).
    ("monitoring", "cloudwatch"),
    // Mechanical Turk's requester API; its actions are mechanicalturk:*.
    ("mturk-requester", "mechanicalturk"),
    // Amazon Pinpoint logs as pinpoint; its actions are mobiletargeting:*.
    ("pinpoint", "mobiletargeting"),
    ("runtime.lex", "lex"),
    // SageMaker's runtime (InvokeEndpoint) is authorized by sagemaker:*.
    ("runtime.sagemaker", "sagemaker"),
    // DynamoDB Streams' actions are dynamodb:GetRecords, GetShardIterator,
    // DescribeStream, ListStreams.
    ("streams.dynamodb", "dynamodb"),
    // The Resource Groups Tagging API's actions are tag:* (tag:GetResources).
    ("tagging", "tag"),
];

/// Event names that differ from the action that authorizes them, as
/// `(service prefix, eventName, actions of the same service)`, from AWS's
/// documentation of each operation's required permissions (the S3 API
/// reference's "Permissions" sections and the S3 user guide's "Required
/// permissions for Amazon S3 API operations"; the Lambda and KMS API
/// references). Where one event name stands for operations with
/// different actions (S3's bucket-level and account-level
/// `GetPublicAccessBlock`), all of them count: the safe side.
/// A catalog that carries AWS's operation mapping is consulted before this
/// table, so it matters only for catalogs without one (the bundled one).
#[rustfmt::skip]
const RENAMES: &[(&str, &str, &[&str])] = &[
    ("kms", "ReEncrypt",                                  &["ReEncryptFrom", "ReEncryptTo"]),
    ("lambda", "Invoke",                                  &["InvokeFunction"]),
    ("lambda", "InvokeWithResponseStream",                &["InvokeFunction"]),
    ("s3", "CompleteMultipartUpload",                     &["PutObject"]),
    ("s3", "CopyObject",                                  &["GetObject", "PutObject"]),
    ("s3", "CreateMultipartUpload",                       &["PutObject"]),
    ("s3", "DeleteBucketAnalyticsConfiguration",          &["PutAnalyticsConfiguration"]),
    ("s3", "DeleteBucketCors",                            &["PutBucketCORS"]),
    ("s3", "DeleteBucketEncryption",                      &["PutEncryptionConfiguration"]),
    ("s3", "DeleteBucketIntelligentTieringConfiguration", &["PutIntelligentTieringConfiguration"]),
    ("s3", "DeleteBucketInventoryConfiguration",          &["PutInventoryConfiguration"]),
    ("s3", "DeleteBucketLifecycle",                       &["PutLifecycleConfiguration"]),
    ("s3", "DeleteBucketMetricsConfiguration",            &["PutMetricsConfiguration"]),
    ("s3", "DeleteBucketOwnershipControls",               &["PutBucketOwnershipControls"]),
    ("s3", "DeleteBucketReplication",                     &["PutReplicationConfiguration"]),
    ("s3", "DeleteBucketTagging",                         &["PutBucketTagging"]),
    ("s3", "DeleteObjects",                               &["DeleteObject"]),
    ("s3", "DeletePublicAccessBlock",                     &["PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock"]),
    ("s3", "GetBucketAccelerateConfiguration",            &["GetAccelerateConfiguration"]),
    ("s3", "GetBucketAnalyticsConfiguration",             &["GetAnalyticsConfiguration"]),
    ("s3", "GetBucketEncryption",                         &["GetEncryptionConfiguration"]),
    ("s3", "GetBucketIntelligentTieringConfiguration",    &["GetIntelligentTieringConfiguration"]),
    ("s3", "GetBucketInventoryConfiguration",             &["GetInventoryConfiguration"]),
    ("s3", "GetBucketLifecycle",                          &["GetLifecycleConfiguration"]),
    ("s3", "GetBucketLifecycleConfiguration",             &["GetLifecycleConfiguration"]),
    ("s3", "GetBucketMetricsConfiguration",               &["GetMetricsConfiguration"]),
    ("s3", "GetBucketNotificationConfiguration",          &["GetBucketNotification"]),
    ("s3", "GetBucketReplication",                        &["GetReplicationConfiguration"]),
    ("s3", "GetObjectLockConfiguration",                  &["GetBucketObjectLockConfiguration"]),
    ("s3", "GetPublicAccessBlock",                        &["GetBucketPublicAccessBlock", "GetAccountPublicAccessBlock"]),
    ("s3", "HeadBucket",                                  &["ListBucket"]),
    ("s3", "HeadObject",                                  &["GetObject"]),
    ("s3", "ListBucketAnalyticsConfigurations",           &["GetAnalyticsConfiguration"]),
    ("s3", "ListBucketIntelligentTieringConfigurations",  &["GetIntelligentTieringConfiguration"]),
    ("s3", "ListBucketInventoryConfigurations",           &["GetInventoryConfiguration"]),
    ("s3", "ListBucketMetricsConfigurations",             &["GetMetricsConfiguration"]),
    ("s3", "ListBuckets",                                 &["ListAllMyBuckets"]),
    ("s3", "ListMultipartUploads",                        &["ListBucketMultipartUploads"]),
    ("s3", "ListObjectVersions",                          &["ListBucketVersions"]),
    ("s3", "ListObjects",                                 &["ListBucket"]),
    ("s3", "ListObjectsV2",                               &["ListBucket"]),
    ("s3", "ListParts",                                   &["ListMultipartUploadParts"]),
    ("s3", "PutBucketAccelerateConfiguration",            &["PutAccelerateConfiguration"]),
    ("s3", "PutBucketAnalyticsConfiguration",             &["PutAnalyticsConfiguration"]),
    ("s3", "PutBucketEncryption",                         &["PutEncryptionConfiguration"]),
    ("s3", "PutBucketIntelligentTieringConfiguration",    &["PutIntelligentTieringConfiguration"]),
    ("s3", "PutBucketInventoryConfiguration",             &["PutInventoryConfiguration"]),
    ("s3", "PutBucketLifecycle",                          &["PutLifecycleConfiguration"]),
    ("s3", "PutBucketLifecycleConfiguration",             &["PutLifecycleConfiguration"]),
    ("s3", "PutBucketMetricsConfiguration",               &["PutMetricsConfiguration"]),
    ("s3", "PutBucketNotificationConfiguration",          &["PutBucketNotification"]),
    ("s3", "PutBucketReplication",                        &["PutReplicationConfiguration"]),
    ("s3", "PutObjectLockConfiguration",                  &["PutBucketObjectLockConfiguration"]),
    ("s3", "PutPublicAccessBlock",                        &["PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock"]),
    ("s3", "SelectObjectContent",                         &["GetObject"]),
    ("s3", "UploadPart",                                  &["PutObject"]),
    ("s3", "UploadPartCopy",                              &["GetObject", "PutObject"]),
];

/// Every action API Gateway's management API is authorized by: it names
/// its actions after HTTP methods, not operations.
const APIGATEWAY_VERBS: &[&str] = &["DELETE", "GET", "PATCH", "POST", "PUT"];

/// The actions one event is use of, as far as the catalog can say.
///
/// Both lists empty means the event maps to no action at all (an unknown
/// service or an eventSource outside `amazonaws.com`): the caller lists it
/// rather than treat it as use of nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Catalog actions the event is use of.
    pub actions: Vec<ActionId>,
    /// Actions of a service the catalog knows, named by the event (or the
    /// rename tables) but missing from the catalog, probably newer than it;
    /// as `(service prefix, action name)`.
    pub unknown: Vec<(String, String)>,
}

impl Mapping {
    /// Whether the event maps to no action, known or not.
    pub fn is_unmapped(&self) -> bool {
        self.actions.is_empty() && self.unknown.is_empty()
    }
}

/// The IAM service prefix of a CloudTrail `eventSource`: `X.amazonaws.com`
/// gives `X`, except for the hosts in a table of exceptions
/// (`monitoring.amazonaws.com` is `cloudwatch`); `None` for sources outside
/// `amazonaws.com`. Whether the prefix is a real service is the catalog's
/// to say.
pub fn service_prefix(event_source: &str) -> Option<&str> {
    const SUFFIX: &str = ".amazonaws.com";
    let cut = event_source.len().checked_sub(SUFFIX.len())?;
    if cut == 0
        || !event_source.is_char_boundary(cut)
        || !event_source[cut..].eq_ignore_ascii_case(SUFFIX)
    {
        return None;
    }
    let host = &event_source[..cut];
    Some(
        SOURCE_PREFIXES
            .iter()
            .find(|(source, _)| source.eq_ignore_ascii_case(host))
            .map_or(host, |(_, prefix)| prefix),
    )
}

/// `name` without the API version some services append to event names:
/// Lambda's `GetFunction20150331v2` and `ListTags20170331`, CloudFront's
/// `UpdateDistribution2017_03_25`. Only those services, because elsewhere
/// a trailing number can be part of the name (`s3:ListObjectsV2`).
pub fn strip_version<'a>(service: &str, name: &'a str) -> &'a str {
    let stripped = match service {
        "lambda" => strip_lambda_date(name),
        "cloudfront" => strip_cloudfront_date(name),
        _ => None,
    };
    stripped.unwrap_or(name)
}

/// `Name20150331` or `Name20150331v2` to `Name`.
fn strip_lambda_date(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let digits_at_end = |s: &[u8]| s.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    // An optional `v<digits>` first.
    let mut end = bytes.len();
    let revision = digits_at_end(bytes);
    if revision > 0 && revision < end && bytes[end - revision - 1] == b'v' {
        end -= revision + 1;
    }
    let date = &bytes[..end];
    (digits_at_end(date) == 8 && date.len() > 8 && date[date.len() - 8..].starts_with(b"20"))
        .then(|| &name[..end - 8])
}

/// `Name2017_03_25` to `Name`.
fn strip_cloudfront_date(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let len = bytes.len();
    if len <= 10 {
        return None;
    }
    let tail = &bytes[len - 10..];
    let shape = tail.iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'_',
        _ => b.is_ascii_digit(),
    });
    (shape && tail.starts_with(b"20") && !bytes[len - 11].is_ascii_digit())
        .then(|| &name[..len - 10])
}

/// The action names an event name stands for, from the rename tables; `None`
/// when the event name is the action name.
pub fn renamed(service: &str, event_name: &str) -> Option<&'static [&'static str]> {
    if service == "apigateway" {
        return Some(apigateway_verbs(event_name));
    }
    RENAMES
        .iter()
        .find(|(s, name, _)| *s == service && name.eq_ignore_ascii_case(event_name))
        .map(|(_, _, actions)| *actions)
}

/// API Gateway's management API is REST: `Get*` operations are GET requests
/// (`apigateway:GET`), `Create*` POST, `Update*` PATCH, `Delete*` DELETE,
/// `Put*` PUT. Any other operation (`Import*`, `Flush*`, `TagResource`, ...)
/// counts as use of every method, the safe side.
fn apigateway_verbs(event_name: &str) -> &'static [&'static str] {
    let starts = |word: &str| {
        event_name.starts_with(word)
            && event_name[word.len()..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_uppercase())
    };
    const BY_WORD: &[(&str, usize)] = &[
        ("Get", 1),
        ("Create", 3),
        ("Update", 2),
        ("Delete", 0),
        ("Put", 4),
    ];
    match BY_WORD.iter().find(|(word, _)| starts(word)) {
        Some(&(_, verb)) => &APIGATEWAY_VERBS[verb..verb + 1],
        None => APIGATEWAY_VERBS,
    }
}

/// The actions the event `event_source` `event_name` is use of (see the
/// module documentation for why each step errs as it does):
///
/// 1. the service prefix from the eventSource ([`service_prefix`]); a
///    source outside `amazonaws.com`, or a service the catalog does not
///    know, maps to nothing;
/// 2. the event name without a service's API version ([`strip_version`]);
/// 3. the catalog's own operation mapping, when it has one for the
///    operation: every action AWS says the operation may need;
/// 4. else the rename tables ([`renamed`]);
/// 5. else the action of the same name, found ignoring case;
/// 6. a name from 4 or 5 that the catalog lacks goes to
///    [`Mapping::unknown`], when it is well formed as an action name.
pub fn map_event(catalog: &Catalog, event_source: &str, event_name: &str) -> Mapping {
    let mut mapping = Mapping::default();
    let Some(service) = service_prefix(event_source) else {
        return mapping;
    };
    // Catalog prefixes are lowercase; so are eventSources, but cheaply sure.
    let service = service.to_ascii_lowercase();
    let service = service.as_str();
    if catalog.service(service).is_none() {
        return mapping;
    }
    let name = strip_version(service, event_name);
    if let Some(actions) = catalog.operation(service, name) {
        if !actions.is_empty() {
            mapping.actions = actions;
            return mapping;
        }
    }
    let single = [name];
    let names: &[&str] = match renamed(service, name) {
        Some(names) => names,
        None => &single,
    };
    for &name in names {
        match catalog.find(service, name) {
            Some(id) => mapping.actions.push(id),
            // A name with a space or a glob character would be written back
            // into policies if it joined the catalog: leave it unmapped.
            None if format::is_name(name.as_bytes()) => {
                mapping
                    .unknown
                    .push((service.to_string(), name.to_string()));
            }
            None => {}
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{AccessLevel, CatalogInfo};

    fn catalog() -> Catalog {
        Catalog::from_actions(
            CatalogInfo::default(),
            [
                ("s3", "GetObject", AccessLevel::Read),
                ("s3", "PutObject", AccessLevel::Write),
                ("s3", "ListBucket", AccessLevel::List),
                ("s3", "GetBucketCORS", AccessLevel::Read),
                ("cloudwatch", "PutMetricData", AccessLevel::Write),
                ("lambda", "InvokeFunction", AccessLevel::Write),
                ("lambda", "GetFunction", AccessLevel::Read),
                ("apigateway", "GET", AccessLevel::Read),
                ("apigateway", "POST", AccessLevel::Write),
                ("apigateway", "PUT", AccessLevel::Write),
                ("apigateway", "PATCH", AccessLevel::Write),
                ("apigateway", "DELETE", AccessLevel::Write),
            ],
        )
    }

    fn names(catalog: &Catalog, mapping: &Mapping) -> Vec<String> {
        mapping
            .actions
            .iter()
            .map(|&id| catalog.full_name(id))
            .collect()
    }

    #[test]
    fn source_prefixes_strip_the_domain_and_apply_the_exceptions() {
        assert_eq!(service_prefix("s3.amazonaws.com"), Some("s3"));
        assert_eq!(
            service_prefix("monitoring.amazonaws.com"),
            Some("cloudwatch")
        );
        assert_eq!(service_prefix("email.amazonaws.com"), Some("ses"));
        assert_eq!(
            service_prefix("streams.dynamodb.amazonaws.com"),
            Some("dynamodb")
        );
        assert_eq!(service_prefix("tagging.amazonaws.com"), Some("tag"));
        assert_eq!(service_prefix("api.ecr.amazonaws.com"), Some("ecr"));
        assert_eq!(
            service_prefix("cloudcontrolapi.amazonaws.com"),
            Some("cloudformation")
        );
        assert_eq!(
            service_prefix("pinpoint.amazonaws.com"),
            Some("mobiletargeting")
        );
        assert_eq!(service_prefix("models.lex.amazonaws.com"), Some("lex"));
        assert_eq!(service_prefix("runtime.lex.amazonaws.com"), Some("lex"));
        assert_eq!(
            service_prefix("runtime.sagemaker.amazonaws.com"),
            Some("sagemaker")
        );
        assert_eq!(
            service_prefix("appstream2.amazonaws.com"),
            Some("appstream")
        );
        assert_eq!(
            service_prefix("mturk-requester.amazonaws.com"),
            Some("mechanicalturk")
        );
        assert_eq!(
            service_prefix("ecr-public.amazonaws.com"),
            Some("ecr-public")
        );
        assert_eq!(service_prefix(".amazonaws.com"), None);
        assert_eq!(service_prefix("amazonaws.com"), None);
        assert_eq!(service_prefix("example.com"), None);
        assert_eq!(service_prefix(""), None);
        assert_eq!(service_prefix("é.amazonaws.co"), None);
    }

    #[test]
    fn every_exception_maps_to_a_bundled_service() {
        let bundled = Catalog::bundled();
        for (source, prefix) in SOURCE_PREFIXES {
            assert!(bundled.service(prefix).is_some(), "{source} -> {prefix}");
        }
    }

    #[test]
    fn every_rename_names_bundled_actions() {
        let bundled = Catalog::bundled();
        for (service, event, actions) in RENAMES {
            for action in *actions {
                assert!(
                    bundled.find(service, action).is_some(),
                    "{service} {event} -> {action}"
                );
            }
        }
        for verb in APIGATEWAY_VERBS {
            assert!(bundled.find("apigateway", verb).is_some(), "{verb}");
        }
        let sorted = RENAMES
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1));
        assert!(sorted, "keep RENAMES sorted, one row per event");
    }

    #[test]
    fn version_suffixes_are_stripped_only_where_services_add_them() {
        assert_eq!(
            strip_version("lambda", "GetFunction20150331v2"),
            "GetFunction"
        );
        assert_eq!(strip_version("lambda", "ListTags20170331"), "ListTags");
        assert_eq!(strip_version("lambda", "Invoke"), "Invoke");
        assert_eq!(
            strip_version("lambda", "GetFunction2015033"),
            "GetFunction2015033"
        );
        assert_eq!(strip_version("lambda", "20150331"), "20150331");
        assert_eq!(strip_version("lambda", "Foo120150331"), "Foo120150331");
        assert_eq!(strip_version("lambda", "Fv2"), "Fv2");
        assert_eq!(
            strip_version("cloudfront", "UpdateDistribution2017_03_25"),
            "UpdateDistribution"
        );
        assert_eq!(strip_version("cloudfront", "2017_03_25"), "2017_03_25");
        assert_eq!(
            strip_version("cloudfront", "Get2017-03-25"),
            "Get2017-03-25"
        );
        assert_eq!(strip_version("s3", "ListObjectsV2"), "ListObjectsV2");
        assert_eq!(strip_version("s3", "Foo20150331"), "Foo20150331");
    }

    #[test]
    fn renames_and_same_names_resolve_over_the_catalog() {
        let catalog = catalog();
        let map = |source: &str, name: &str| names(&catalog, &map_event(&catalog, source, name));
        assert_eq!(map("s3.amazonaws.com", "ListObjectsV2"), ["s3:ListBucket"]);
        assert_eq!(map("s3.amazonaws.com", "HeadObject"), ["s3:GetObject"]);
        assert_eq!(
            map("s3.amazonaws.com", "CopyObject"),
            ["s3:GetObject", "s3:PutObject"]
        );
        assert_eq!(
            map("s3.amazonaws.com", "GetBucketCors"),
            ["s3:GetBucketCORS"]
        );
        assert_eq!(
            map("lambda.amazonaws.com", "Invoke"),
            ["lambda:InvokeFunction"]
        );
        assert_eq!(
            map("lambda.amazonaws.com", "GetFunction20150331v2"),
            ["lambda:GetFunction"]
        );
        assert_eq!(
            map("monitoring.amazonaws.com", "PutMetricData"),
            ["cloudwatch:PutMetricData"]
        );
        assert_eq!(
            map("apigateway.amazonaws.com", "GetRestApis"),
            ["apigateway:GET"]
        );
        assert_eq!(
            map("apigateway.amazonaws.com", "CreateDeployment"),
            ["apigateway:POST"]
        );
        assert_eq!(
            map("apigateway.amazonaws.com", "UpdateStage"),
            ["apigateway:PATCH"]
        );
        assert_eq!(
            map("apigateway.amazonaws.com", "Getaway"),
            map("apigateway.amazonaws.com", "ImportRestApi")
        );
        assert_eq!(map("apigateway.amazonaws.com", "ImportRestApi").len(), 5);
    }

    #[test]
    fn unknown_actions_of_known_services_and_unknown_services() {
        let catalog = catalog();
        let mapping = map_event(&catalog, "s3.amazonaws.com", "ListObjectVersions");
        assert!(mapping.actions.is_empty());
        assert_eq!(
            mapping.unknown,
            [("s3".to_string(), "ListBucketVersions".to_string())]
        );
        let mapping = map_event(&catalog, "S3.AMAZONAWS.COM", "CreateSession");
        assert_eq!(
            mapping.unknown,
            [("s3".to_string(), "CreateSession".to_string())]
        );
        assert!(map_event(&catalog, "s3.amazonaws.com", "Get*").is_unmapped());
        assert!(map_event(&catalog, "s3.amazonaws.com", "").is_unmapped());
        assert!(map_event(&catalog, "newsvc.amazonaws.com", "DoThing").is_unmapped());
        assert!(map_event(&catalog, "signin.aws.example", "ConsoleLogin").is_unmapped());
    }
}
