// The AWS SDK warns once per process that future releases need Node 22; in tests that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
