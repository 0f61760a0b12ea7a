#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""boto3 helper for the S3 tests: an independent S3 client to set up moto and check what the C++
store wrote. Usage: s3_tool.py ENDPOINT COMMAND ARGS... [+ COMMAND ARGS...]... (several commands
per run, since importing boto3 is slow); each command prints one line.
  create-bucket NAME
  list NAME PREFIX          -> JSON [{"key":…, "size":…, "etag":…}]
  get NAME KEY              -> JSON {"size":…, "sha256":…, "etag":…}
  put NAME KEY TEXT
  setup-auth                -> JSON {"key":…, "secret":…}; afterwards moto authenticates every request
"""
import hashlib
import json
import sys
import urllib.request

import boto3


def client(endpoint, key="testing", secret="testing"):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1")


def main():
    endpoint, rest = sys.argv[1], sys.argv[2:]
    s3 = client(endpoint)
    while rest:
        n = rest.index("+") if "+" in rest else len(rest)
        run(s3, endpoint, rest[0], rest[1:n])
        rest = rest[n + 1:]


def run(s3, endpoint, cmd, args):
    if cmd == "create-bucket":
        for name in args:
            s3.create_bucket(Bucket=name)
        print("ok")
    elif cmd == "list":
        out, token = [], None
        while True:
            kw = {"Bucket": args[0], "Prefix": args[1]}
            if token:
                kw["ContinuationToken"] = token
            r = s3.list_objects_v2(**kw)
            out += [{"key": o["Key"], "size": o["Size"], "etag": o["ETag"]} for o in r.get("Contents", [])]
            if not r.get("IsTruncated"):
                break
            token = r["NextContinuationToken"]
        print(json.dumps(out))
    elif cmd == "get":
        r = s3.get_object(Bucket=args[0], Key=args[1])
        body = r["Body"].read()
        print(json.dumps({"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "etag": r["ETag"]}))
    elif cmd == "put":
        s3.put_object(Bucket=args[0], Key=args[1], Body=args[2].encode())
        print("ok")
    elif cmd == "setup-auth":
        iam = boto3.client("iam", endpoint_url=endpoint, aws_access_key_id="testing",
                           aws_secret_access_key="testing", region_name="us-east-1")
        iam.create_user(UserName="codesphere")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="codesphere", PolicyName="all-s3", PolicyDocument=json.dumps(policy))
        k = iam.create_access_key(UserName="codesphere")["AccessKey"]
        req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req).read()
        print(json.dumps({"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
