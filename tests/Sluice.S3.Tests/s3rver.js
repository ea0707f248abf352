// Starts npm's s3rver (an S3-compatible server) on 127.0.0.1 for the tests: node s3rver.js TOOLS_NODE DIRECTORY BUCKET...
// Prints the port on its first line, then serves until its standard input closes.
const path = require('path');
const S3rver = require(path.join(process.argv[2], 'node_modules', 's3rver'));
const buckets = process.argv.slice(4).map(name => ({ name }));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[3], configureBuckets: buckets });
server.run().then(address => {
  console.log(address.port);
  process.stdin.on('end', () => server.close().then(() => process.exit(0)));
  process.stdin.resume();
}, error => { console.error(error); process.exit(1); });
