"""Talks to the S3-compatible server the tests start (moto), with boto3.

Usage:
  python3 s3_lake.py ENDPOINT create BUCKET
  python3 s3_lake.py ENDPOINT fetch BUCKET PREFIX DIR   # downloads every object under PREFIX
                                                       # into DIR, prints their keys as JSON
Credentials come from the usual AWS variables.
"""

import json
import os
import sys

import boto3

endpoint, action, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
if action == "create":
    s3.create_bucket(Bucket=bucket)
elif action == "fetch":
    prefix, into = sys.argv[4], sys.argv[5]
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            keys.append(key)
            path = os.path.join(into, key[len(prefix):].lstrip("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, key, path)
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    print(json.dumps({"keys": sorted(keys), "open_uploads": len(uploads)}))
else:
    sys.exit(f"unknown action {action}")
