// Puppeteer is only the Firefox ESR driver for web-test-runner: never download a browser.
module.exports = { skipDownload: true };
