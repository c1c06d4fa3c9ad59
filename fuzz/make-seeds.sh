#!/usr/bin/env bash
# Regenerates the committed seed corpus, fuzz/corpus/<target>/seed-*, from
# the fixtures. Files libFuzzer adds next to them (named by their SHA-1)
# are ignored by git; only seed-* files are committed.
set -euo pipefail
cd "$(dirname "$0")"
F=../fixtures
C=corpus
rm -f $C/*/seed-*
mkdir -p $C/policy $C/findings $C/globs $C/pipeline $C/json $C/owners

# policy: fixture policies in every accepted form, and a few bad ones.
for name in seed-example/policy.json rewrite/bom.json rewrite/crlf.json \
    rewrite/minified.json rewrite/inline-array.json rewrite/tabs.json \
    rewrite/policy-version-url-encoded.json rewrite/user-policy-json-string.json \
    rewrite/role-policy-object.json rewrite/not-action.json \
    cases/deny-and-principal-untouched/policy.json \
    cases/error-duplicate-key/policy.json cases/error-action-and-not-action/policy.json \
    cases/error-effect-is-case-sensitive/policy.json cases/error-invalid-json/policy.json; do
    cp $F/$name "$C/policy/seed-$(echo "$name" | tr / -)"
done
printf '{"Statement":{"Effect":"Allow","Action":"s3:Get*"}}' > $C/policy/seed-lone-string
printf '{"Version":"2008-10-17","Statement":[]}' > $C/policy/seed-empty-list
printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' > $C/policy/seed-deep

# findings: every accepted shape, last-accessed output and --used lists.
for name in seed-example/findings.json cases/findings-get-finding-v2/findings.json \
    cases/findings-pages-array/findings.json cases/findings-seed-form-whole-service/findings.json \
    cases/findings-unused-role/findings.json cases/findings-archived-skipped/findings.json \
    cases/findings-two-principals/findings.json cases/findings-bad-shape/findings.json \
    cases/unused-for-window-edges/findings.json cases/unknown-actions/findings.json \
    cases/last-accessed-with-and-without-tracking/last-accessed.json \
    cases/used-list-with-patterns/used.json cases/used-policy-document/used.json; do
    cp $F/$name "$C/findings/seed-$(echo "$name" | tr / -)"
done
printf '["s3:Get*", "sqs:Delete*", "*:List*", "S3:getobject"]' > $C/findings/seed-strings

# globs: a mode byte (odd, M: map bytes onto a small alphabet; even, R: raw), then inner,
# probe and outer globs separated by newlines.
g() { printf '%s' "$2" > "$C/globs/seed-$1"; }  # mode R (even): raw text
g prefix $'Rs3:Get*Tagging\ns3:GetObjectTagging\ns3:Get*\n*Tagging'
g describe $'Rec2:Describe?nstances\nEC2:DescribeInstances\nec2:Describe*\nec2:*Instances'
g star-colon $'R*:Get*\ns3-object-lambda:GetObject\ns3*\n*'
g question $'Ra*?\nab\nab*\n?*\n*'
g unicode $'Rs3:GetObjectÄ\ns3:getobjectä\ns3:GetObjectä\ns3:GetObject?'
g blowup $'R*a??????????????\naaaaaaaaaaaaaaaaaa\n*a*\n*b*'
g mapped $'M\x09\x05\x01\x06\n\x09\x01\x02\n\x05\x06\n\x09\x05'  # mode M (odd): mapped

# pipeline: POLICY 0xFF SOURCE; SOURCE `u...` is a --used list, `l...`
# last-accessed output, else findings.
p() { { cat "$F/$2"; printf '\xff%s' "$4"; cat "$F/$3"; } > "$C/pipeline/seed-$1"; }
p seed-example seed-example/policy.json seed-example/findings.json ''
for c in entry-keep-drop-replace describe-instances-both-survive deny-and-principal-untouched \
    findings-get-finding-v2 findings-seed-form-whole-service findings-unused-role \
    glob-case-insensitive grants-nothing-used infix-entry no-entry-covered-by-another \
    not-action-adds-cover not-action-all-unused not-action-unknown-entry \
    policy-version-url-encoded role-policy-wrapper star-keeps-services-newer-than-the-catalog \
    entries-in-a-wholly-unused-service-dropped entry-exact-name-the-findings-list-dropped \
    unused-for-role-used-within-window number-spelling-kept-on-stdout \
    string-prefix-not-word-subtree unknown-actions structure-preserved; do
    p $c cases/$c/policy.json cases/$c/findings.json ''
done
for c in inline-array crlf bom minified lone-statement-removed remove-around-a-change; do
    p rewrite-$c rewrite/$c.json rewrite/$c.findings.json ''
done
p used-list cases/used-list-with-patterns/policy.json cases/used-list-with-patterns/used.json u
p used-policy cases/used-policy-document/policy.json cases/used-policy-document/used.json u
p last-accessed cases/last-accessed-with-and-without-tracking/policy.json \
    cases/last-accessed-with-and-without-tracking/last-accessed.json l
# json: every policy and findings seed, and the shapes the reader must
# refuse or keep as written (escapes, surrogates, number spellings).
cp $C/policy/seed-* $C/findings/seed-* $C/json/
printf '{"a": "\\ud83d\\ude00 \\/ \\u0041", "n": [1E+2, -0.5e-3, 0]}' > $C/json/seed-escapes-numbers
printf '{"a": 1, "a": 2}' > $C/json/seed-duplicate
printf '[1, 2,]' > $C/json/seed-trailing-comma
# owners: the repository fixture's manifest, and the shapes it refuses.
cp $F/repo/owners.json $C/owners/seed-repo-owners.json
printf '{"**/*.json": ["arn:aws:iam::1:user/a"], "{a,b}/[c-d]?.json": [{"group": "arn:aws:iam::1:group/g"}]}' > $C/owners/seed-globs
printf '{"a.json": ["role/app"], "b.json": "x", "[": []}' > $C/owners/seed-bad
# template: the CloudFormation fixtures, YAML and JSON.
mkdir -p $C/template
for f in $F/cloudformation/*.yaml $F/cloudformation/long-forms.json; do
  cp "$f" "$C/template/seed-$(basename "$f")"
done
# terraform: the Terraform fixtures, HCL and JSON syntax.
mkdir -p $C/terraform
for f in $(cd $F/terraform && find . -name '*.tf' -o -name '*.tf.json' | sort); do
  cp "$F/terraform/$f" "$C/terraform/seed-$(echo "${f#./}" | tr / -)"
done
du -sh $C/*
