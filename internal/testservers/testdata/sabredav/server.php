<?php
// A CalDAV server for rdv's integration tests: sabre/dav 1.8 (Debian's
// php-sabre-dav, the engine of Nextcloud) laid out like Nextcloud, run by
// PHP's built-in web server as its router script:
//
//	php -S 127.0.0.1:PORT server.php
//
//	/.well-known/caldav                      301 to /remote.php/dav/
//	/remote.php/dav/principals/users/NAME/   the user's principal
//	/remote.php/dav/calendars/NAME/          the user's calendar home
//	/remote.php/dav/calendars/NAME/CAL/      a calendar
//	/                                        302 to /index.php/login
//	/index.php/login                         an HTML page (any method)
//
// One user, with HTTP Basic authentication; data in a SQLite database. The
// environment says where and who: RDV_SABRE_DB (database file),
// RDV_SABRE_USER, RDV_SABRE_PASSWORD.

// sabre/dav 1.8 predates PHP 8: it works, but would warn on every request
// of deprecations and of compile-time oddities (private final methods).
// Other errors go to the server's stderr, which the tests show when they
// fail.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_COMPILE_WARNING);
ini_set('display_errors', '0');
ini_set('log_errors', '1');
date_default_timezone_set('UTC');

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$dav = '/remote.php/dav/';

if ($path === '/.well-known/caldav' || $path === '/.well-known/caldav/') {
	header('Location: ' . $dav, true, 301);
	exit;
}
if ($path === '/') {
	header('Location: /index.php/login', true, 302);
	exit;
}
if ($path === '/index.php/login') {
	header('Content-Type: text/html; charset=utf-8');
	echo "<!DOCTYPE html><title>Login</title><p>Not a DAV resource.\n";
	exit;
}
if ($path . '/' !== $dav && strncmp($path, $dav, strlen($dav)) !== 0) {
	http_response_code(404);
	header('Content-Type: text/html; charset=utf-8');
	echo "<!DOCTYPE html><title>Not found</title><p>Not found.\n";
	exit;
}

require_once 'Sabre/autoload.php';

$user = getenv('RDV_SABRE_USER');
$password = getenv('RDV_SABRE_PASSWORD');
$db = getenv('RDV_SABRE_DB');
if ($user === false || $password === false || $db === false) {
	http_response_code(500);
	error_log('server.php: RDV_SABRE_DB, RDV_SABRE_USER and RDV_SABRE_PASSWORD must be set');
	exit;
}

$fresh = !file_exists($db) || filesize($db) === 0;
$pdo = new PDO('sqlite:' . $db);
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
// Several workers (PHP_CLI_SERVER_WORKERS) share the file: wait for the
// lock rather than fail at once.
$pdo->setAttribute(PDO::ATTR_TIMEOUT, 10);
if ($fresh) {
	// The first request (the test helper's readiness probe) makes the
	// tables and the user's principal.
	$pdo->exec(file_get_contents(__DIR__ . '/schema.sql'));
	$insert = $pdo->prepare('INSERT OR IGNORE INTO principals (uri, email, displayname) VALUES (?, ?, ?)');
	$insert->execute(['principals/users/' . $user, $user . '@example.org', $user]);
}

// BasicAuth accepts the one configured user.
class BasicAuth extends Sabre\DAV\Auth\Backend\AbstractBasic
{
	private $user;
	private $password;

	public function __construct($user, $password)
	{
		$this->user = $user;
		$this->password = $password;
	}

	protected function validateUserPass($username, $password)
	{
		return hash_equals($this->user, (string)$username) && hash_equals($this->password, (string)$password);
	}
}

$principals = new Sabre\DAVACL\PrincipalBackend\PDO($pdo);
$calendars = new Sabre\CalDAV\Backend\PDO($pdo);

$server = new Sabre\DAV\Server([
	new Sabre\DAV\SimpleCollection('principals', [
		new Sabre\CalDAV\Principal\Collection($principals, 'principals/users'),
	]),
	new Sabre\CalDAV\CalendarRootNode($principals, $calendars, 'principals/users'),
]);
$server->setBaseUri($dav);

$server->addPlugin(new Sabre\DAV\Auth\Plugin(new BasicAuth($user, $password), 'rdv test'));
$acl = new Sabre\DAVACL\Plugin();
$acl->defaultUsernamePath = 'principals/users';
$server->addPlugin($acl);
$server->addPlugin(new Sabre\CalDAV\Plugin());

$server->exec();
