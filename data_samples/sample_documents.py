"""Documents for meco's sample data: original texts written for this project (CC0).

Every text below was written for meco; none is copied from a web page. Each one imitates the
style of the host in its URL (an encyclopedia article, a news story, a Q&A thread, a shop page...).
make_samples.py turns these lists into files laid out like the published corpora.

  DCLM_DOCS        (url, text)              English; paragraphs separated by blank lines
  C4_DOCS          (url, text)              English; one line per sentence-ending line, as C4 keeps
                                            them (no blank lines, every line ends in punctuation,
                                            no curly braces)
  REFINEDWEB_DOCS  (url, image_urls, text)  English, German and French; image_urls holds
                                            [src, alt] pairs like RefinedWeb's column

One DCLM text holds a raw U+2028 LINE SEPARATOR (written here as an escape) on purpose.
"""

DCLM_DOCS = [
    (
        "https://en.wikipedia.org/wiki/Tidal_locking",
        """\
Tidal locking

From Wikipedia, the free encyclopedia

Jump to navigation Jump to search

Tidal locking (also called gravitational locking or captured rotation) occurs when an orbiting \
astronomical body always presents the same face to the object it orbits. The rotation period of \
the locked body equals its orbital period, so that over one full orbit it turns exactly once about \
its own axis.

The Moon is the most familiar example. Because it is tidally locked to Earth, observers on the \
ground always see essentially the same hemisphere, although a slight wobble known as libration \
allows about 59 percent of the lunar surface to be seen over time.

Mechanism

A body that is not perfectly rigid is stretched along the line joining it to its partner, raising \
two tidal bulges. If the body spins faster or slower than it orbits, friction inside it drags the \
bulges slightly out of alignment. The partner's gravity then pulls on the misaligned bulges and \
produces a torque that gradually slows or speeds the rotation until the two periods match.

Timescale

The time needed to lock depends strongly on the initial spin rate, the distance between the \
bodies and the internal rigidity of the satellite. Large moons close to their planets lock quickly \
in astronomical terms, while distant or very rigid bodies may never become locked within the age \
of the Solar System.

See also

Orbital resonance
Synchronous orbit
Roche limit
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Bread_clip",
        """\
Bread clip

From Wikipedia, the free encyclopedia

A bread clip, also known as a bread tag or bag clip, is a small plastic device used to hold \
plastic bags closed, most commonly the bags in which sliced bread is sold. The typical clip is a \
flat, roughly square piece of rigid plastic with a short slot leading to a central hole, so that \
the gathered neck of a bag can be pushed through the slot and held in place.

History

Clips of this kind were developed in the United States in the 1950s as an alternative to twist \
ties and metal closures. They were quick to apply by machine on a bakery line and could be reused \
by the customer.

Colour coding

Many bakeries print the packing or sell-by date on the clip. Some also use a colour code so that \
staff restocking shelves can identify older loaves at a glance, although the scheme varies between \
companies and regions and is not a standard.

Environmental concerns

Most clips are made of polystyrene, which is not accepted by every recycling programme. Several \
manufacturers have introduced clips made from recycled cardboard, and a number of charities \
collect used plastic clips to fund community projects.

Categories: Packaging | Bread | Plastics applications
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Caf%C3%A9_racer",
        """\
Café racer

From Wikipedia, the free encyclopedia

A café racer is a lightweight, lightly powered motorcycle optimised for speed and handling rather \
than comfort, and for quick rides over short distances. The style grew out of British motorcycling \
culture of the late 1950s and early 1960s, when young riders modified standard bikes to look and \
behave like racing machines.

The name is associated with transport cafés, where riders gathered and where, according to a \
popular story, they would try to ride to a set point and back before a song on the jukebox had \
finished. Whether or not such races took place as often as legend suggests, the image became part \
of the rocker subculture.

Characteristics

Typical modifications included low clip-on or clubman handlebars, rear-set footrests, a single \
seat with a small rear cowl, a large fuel tank, and the removal of anything not strictly necessary, \
such as passenger footrests and bulky mudguards. The resulting riding position was crouched and \
forward-leaning.

Revival

From the 1990s onward, several manufacturers released factory models with café racer styling, \
and a large custom scene builds such machines from older motorcycles.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Glacial_erratic",
        """\
Glacial erratic

From Wikipedia, the free encyclopedia

A glacial erratic is a piece of rock that differs from the size and type of rock native to the \
area in which it rests. Erratics are carried by glacial ice, often over distances of hundreds of \
kilometres, and left behind when the ice melts.

Erratics range in size from pebbles to large boulders weighing thousands of tonnes. Because the \
rock type of an erratic can often be matched to a known outcrop, geologists use them to \
reconstruct the direction in which ancient ice sheets moved. Lines of erratics that can be traced \
back to a single source are called boulder trains.

Before the acceptance of the glacial theory in the nineteenth century, isolated boulders lying far \
from any similar bedrock were difficult to explain. Some naturalists proposed that they had been \
rafted by icebergs during a great flood, an idea that survives in the term drift, still used for \
glacial deposits in general.

Large erratics frequently became local landmarks and feature in folklore, in which they are often \
said to have been thrown by giants or dropped by the devil.
""",
    ),
    (
        "https://simple.wikipedia.org/wiki/Volcano",
        """\
Volcano

A volcano is an opening in the surface of a planet where hot melted rock, ash and gases come out \
from below the ground. The melted rock is called magma when it is under the ground and lava when \
it comes out.

Many volcanoes are shaped like a mountain. This shape is made when lava and ash pile up again and \
again after many eruptions. Some volcanoes are very wide and flat, and some are only small holes \
in the ground.

Most volcanoes are found where the big plates that make up the Earth's crust meet. A lot of them \
are around the edge of the Pacific Ocean. This area is sometimes called the Ring of Fire.

Scientists who study volcanoes are called volcanologists. They measure small earthquakes, changes \
in the shape of the ground and the gases that come out, to try to tell when a volcano might erupt.

Related pages

Earthquake
Plate tectonics
Lava
""",
    ),
    (
        "https://stackoverflow.com/questions/41227458/why-does-my-python-generator-only-run-once",
        """\
Why does my Python generator only run once?

Asked 6 years ago Modified 6 years ago Viewed 3k times

I have a function that yields the lines of a file after stripping them. The first loop prints \
everything, but the second loop prints nothing at all:

def clean_lines(path):
    with open(path) as f:
        for line in f:
            yield line.strip()

lines = clean_lines("data.txt")
for l in lines:
    print(l)
for l in lines:
    print(l)   # nothing here

Is this a bug? How can I loop over the result twice?

python generator

2 Answers

Not a bug. A generator is an iterator: once it has been consumed it is exhausted, and iterating \
over it again simply stops immediately.

You have two options. If the file is small, materialise it once with \
lines = list(clean_lines("data.txt")) and loop over the list as often as you like. If the file is \
large, call the function again for each pass, because every call creates a fresh generator that \
reopens the file.

answered Jan 19, 2017 at 14:02

Thanks, calling it twice was exactly what I needed.
""",
    ),
    (
        "https://stackoverflow.com/questions/50211713/should-i-rebase-or-merge-my-feature-branch?noredirect=1&lq=1",
        """\
Should I rebase or merge my feature branch before opening a pull request?

Asked 4 years, 9 months ago Viewed 12k times

Our team keeps arguing about this. When main has moved on while I was working on a feature, \
should I run git rebase main on my branch or git merge main into it? Both seem to work. What are \
the practical differences?

git git-rebase git-merge

3 Answers

Sorted by: Highest score (default)

Both integrate the same changes; they differ in the history they leave behind.

A merge keeps your commits exactly as they were and adds a merge commit with two parents. Nothing \
is rewritten, so it is always safe on a branch that other people have pulled.

A rebase replays your commits on top of the new main, producing new commits with new hashes. The \
history becomes a straight line, which many people find easier to read and bisect, but you must \
force-push afterwards and anyone else working on the branch will need to reset.

A common rule of thumb: rebase private branches freely, never rebase shared ones, and let the pull \
request tool decide how the final integration into main happens.

share improve this answer follow
answered May 7, 2018 at 9:41
""",
    ),
    (
        "https://math.stackexchange.com/questions/1281327/why-does-the-sum-of-reciprocals-of-primes-diverge",
        r"""
Why does the sum of the reciprocals of the primes diverge?

I know that the harmonic series $\sum 1/n$ diverges, and I can follow the usual grouping proof. \
But the primes get sparser and sparser, so I expected $\sum_p 1/p$ to converge. Is there an \
intuitive reason why it still diverges?

sequences-and-series number-theory prime-numbers

1 Answer

One way to see it is through Euler's product. For $s>1$,
$$\sum_{n\ge1} \frac{1}{n^s}=\prod_p \left(1-p^{-s}\right)^{-1}.$$
Take logarithms of both sides. Using $-\log(1-x)=x+O(x^2)$ for small $x$, the right-hand side \
becomes $\sum_p p^{-s}$ plus a quantity that stays bounded as $s\to1^+$. The left-hand side \
behaves like $\log\frac{1}{s-1}$, which tends to infinity. Therefore $\sum_p p^{-s}$ must also \
tend to infinity as $s\to1^+$, and so $\sum_p 1/p$ diverges.

Intuitively, the primes thin out only logarithmically: the $n$-th prime is roughly $n\log n$, and \
$\sum 1/(n\log n)$ diverges, just very slowly. In fact $\sum_{p\le x}1/p$ grows like \
$\log\log x$.

answered Jun 1, 2015 at 21:07
""".replace("\\\n", ""),
    ),
    (
        "https://www.reddit.com/r/AskHistorians/comments/9x2k1f/how_did_medieval_sailors_navigate_at_night/",
        """\
r/AskHistorians

How did medieval sailors navigate at night?

Posted by u/tidewater_fern

I've been reading about trade between Scandinavia and the Baltic and I realised I have no idea \
how ships found their way after dark before modern instruments. Did they just stop and anchor?

12 comments

level 1
quayside_archivist

It depended a great deal on where and when. A lot of medieval shipping was coastal, and crews did \
in fact prefer to anchor or beach overnight when they could, because the real danger was not \
getting lost but running onto rocks.

For longer crossings, sailors relied on a combination of things: the pole star and other familiar \
stars, the direction of the prevailing swell, the behaviour of birds, the colour of the water, and \
a remarkably detailed memory of coastlines passed down from experienced pilots. By the thirteenth \
century the magnetic compass was also known in northern Europe, though how widely it was used on \
ordinary merchant vessels is hard to say from the surviving evidence.

If you want to read further, look for work on pilot books and sailing directions, which recorded \
distances, landmarks and depths for particular routes.

level 2
tidewater_fern

This is fascinating, thank you. I had never thought about the swell as a direction finder.
""",
    ),
    (
        "https://www.reddit.com/r/Sourdough/comments/b3kq7z/my_starter_smells_like_nail_polish_remover/",
        """\
r/Sourdough

My starter smells like nail polish remover. Is it dead?

Day 9 of my first starter. It was bubbling nicely for a few days and now there's a grey liquid on \
top and it smells sharp, almost like acetone. Did I kill it?

level 1
It's not dead, it's hungry. That liquid is usually called hooch and the acetone smell is a sign \
the yeast have run out of food. Pour off the liquid or stir it back in, then feed it more often or \
use a higher ratio of fresh flour to starter.

level 2
Seconding this. I went from feeding 1:1:1 to 1:5:5 once a day and the smell disappeared within a \
week.

level 1
Also check your room temperature. Mine did this every summer until I started keeping it in the \
coolest cupboard in the house.

level 2
OP here, fed it 1:4:4 last night and it doubled by this morning. Thanks everyone!
""",
    ),
    (
        "https://www.bbc.co.uk/news/uk-england-cumbria-64433219",
        """\
Volunteers record rise in red squirrel sightings

Published 28 January 2023

Share

Volunteers monitoring woodland in the north of England say sightings of red squirrels have risen \
for the third year in a row.

The group, which runs feeding stations and trail cameras across a network of small private woods, \
recorded nearly 400 separate sightings in 2022, compared with about 250 two years earlier.

Organisers said the increase was partly down to better coverage, with more cameras and more people \
taking part, but added that they were also seeing young animals in places where the species had not \
been recorded for a decade.

Red squirrels have declined sharply across much of the UK since grey squirrels were introduced \
from North America in the 19th Century. Greys compete for food and can carry squirrelpox, a virus \
that is harmless to them but usually fatal to reds.

"Every sighting goes into a shared map," said one of the coordinators. "It means landowners can \
see exactly where their help is needed."

The group is now appealing for more volunteers to check cameras over the spring.

Related Topics

Wildlife
Cumbria
""",
    ),
    (
        "https://www.bbc.co.uk/food/recipes/leek_and_potato_soup_71562",
        """\
Leek and potato soup

Ingredients

1 tbsp olive oil
25g/1oz butter
3 leeks, trimmed and sliced
1 onion, finely chopped
2 medium potatoes, peeled and diced
1.2 litres/2 pints vegetable stock
100ml/3½fl oz single cream (optional)
salt and freshly ground black pepper

Method

Heat the oil and butter in a large saucepan over a medium heat. Add the leeks and onion and cook \
gently for about 10 minutes, stirring now and then, until soft but not coloured.

Add the potatoes and stock, bring to the boil, then reduce the heat and simmer for 20 minutes, or \
until the potatoes are completely tender.

Blend the soup until smooth using a stick blender, or leave it chunky if you prefer. Stir in the \
cream, if using, and season to taste.

Recipe tips

The soup freezes well for up to three months. Leave out the cream before freezing and add it when \
reheating.
""",
    ),
    (
        "https://www.theguardian.com/lifeandstyle/2023/jan/28/how-to-keep-houseplants-alive-through-winter",
        """\
How to keep your houseplants alive through winter

Shorter days, dry air from radiators and cold draughts can all take their toll. Here is what to \
change

Sat 28 Jan 2023 07.00 GMT

Most houseplant deaths in winter come down to one mistake: watering as if it were still summer. \
With less light, plants grow slowly and use far less water, so soil that stays wet for weeks \
invites root rot. Before watering, push a finger a couple of centimetres into the compost. If it \
feels damp, wait.

Light is the second problem. Move plants closer to windows, and wipe dust off broad leaves so they \
can make the most of what sun there is. A south-facing sill that scorches in July can be ideal in \
January.

Radiators dry the air quickly. Grouping plants together raises the humidity around them a little, \
and a tray of damp gravel underneath helps more than misting, which evaporates in minutes.

Finally, watch out for the gap between curtain and glass. On frosty nights that pocket of air can \
be several degrees colder than the room, enough to damage tropical species. Pull plants back into \
the room at night, or leave the curtains open.

Feeding can stop altogether until spring. Fertiliser is of little use to a plant that is barely \
growing.
""",
    ),
    (
        "https://www.theguardian.com/travel/2022/dec/10/how-to-enjoy-a-winter-coastal-walk",
        """\
How to enjoy a winter coastal walk

Bracing, empty and often at their most beautiful in the low sun, coast paths are made for short \
winter days

Sat 10 Dec 2022 08.00 GMT

There is a particular pleasure in walking a coast path in December. The summer crowds have gone, \
the light is low and golden by mid-afternoon, and the cafes that stay open have a warmth that makes \
the last mile worth hurrying.

Start short. In winter the daylight runs out quickly, and a route that would be a gentle afternoon \
in June can leave you stumbling along a cliff top in the dark. Plan to be finished an hour before \
sunset and carry a head torch regardless.

Check the tide times. Several of the best winter routes use beaches or causeways that are only \
passable at low water, and storms can move sand and shingle enough to change what is safe from one \
week to the next.

Dress in layers and expect the wind. A cold sea breeze can make a mild day feel several degrees \
colder, and exposed headlands are always windier than the car park suggests.

Finally, reward yourself. A bowl of soup at the end of a wild walk tastes better than any other.
""",
    ),
    (
        "https://apnews.com/article/city-council-protected-bike-lanes-vote-3f9c2a7e1b",
        """\
City council approves protected bike lanes after lengthy debate

February 2, 2023

After nearly five hours of public comment, a city council voted 6-3 late Wednesday to build \
protected bike lanes along a busy downtown corridor, replacing roughly 80 on-street parking spaces.

Supporters, many of whom arrived on bicycles, said the lanes would make the street safer for riders \
and pedestrians alike. Several cited a crash last year in which a cyclist was seriously injured \
near the same intersection.

Business owners along the corridor were divided. Some said fewer parking spaces would drive \
customers away, while others said they expected more foot traffic once the street felt less \
hostile.

The project is expected to cost about $2.4 million, most of it covered by a state transportation \
grant. Construction could begin this summer and take about six months, officials said.

Council members who voted against the plan said they supported bike safety but wanted a pilot \
program first.
""",
    ),
    (
        "https://apnews.com/article/fossil-footprints-dry-lake-bed-8a0d41c6e2",
        """\
Fossil footprints found on dried lake bed, researchers say

January 31, 2023

Researchers say a set of fossilized footprints exposed on a dried-out lake bed were left by a group \
of large animals walking together, offering a rare glimpse of how they moved across the landscape.

The tracks were spotted by a hiker after an unusually dry summer lowered the water level and \
exposed mudstone that is normally submerged. A team from a regional university mapped more than 60 \
prints over several weekends before autumn rains returned.

"Footprints record behavior in a way bones cannot," said one of the team members. "You can see \
where an animal slowed down, turned, or stepped around something."

The prints will be covered again as the lake refills, which scientists say may protect them. The \
team made detailed 3D scans so the site can be studied without further disturbance.

The findings are described in a paper submitted for publication this month.
""",
    ),
    (
        "https://docs.python.org/3/library/statistics.html",
        """\
statistics — Mathematical statistics functions

Source code: Lib/statistics.py

This module offers functions for computing basic descriptive statistics of numeric data. It is \
aimed at the level of a scientific calculator rather than at specialised numerical packages, and \
works with int, float, Decimal and Fraction values.

Averages and measures of central location

mean(data)
Return the arithmetic average of data, which may be a sequence or an iterable. Raises \
StatisticsError if data is empty.

median(data)
Return the middle value of numeric data. When the number of data points is even, the median is \
the average of the two middle values.

mode(data)
Return the single most common data point. If several values share the highest frequency, the \
first one encountered is returned.

Measures of spread

stdev(data, xbar=None)
Return the sample standard deviation, the square root of the sample variance.

Example:

>>> from statistics import mean, median
>>> mean([2, 3, 3, 5, 7])
4
>>> median([1, 3, 5, 7])
4.0

Note: these functions do not require the data to be sorted, but median sorts a copy internally, \
which costs O(n log n) time.
""",
    ),
    (
        "https://developer.mozilla.org/en-US/docs/Web/API/Document/visibilitychange_event",
        """\
Detecting when a page is hidden

Browsers let a page find out whether it is currently visible to the user. This is useful for \
pausing work that nobody can see, such as animations, polling timers or video playback, and \
resuming it when the user comes back to the tab.

Checking the current state

The document.visibilityState property is either "visible" or "hidden". A page counts as hidden \
when its tab is in the background, when the browser window is minimised, or when the operating \
system's screen lock is active.

Reacting to changes

Listen for the visibilitychange event on the document:

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") {
    player.pause();
  } else {
    player.play();
  }
});

Things to keep in mind

Do not rely on this event to save important data when a page is closed; on mobile devices a page \
can be discarded while hidden without any further events. Save state as soon as the page becomes \
hidden instead.

Browser compatibility

Supported in all current major browsers.
""",
    ),
    (
        "https://www.gov.uk/report-pothole",
        """\
Report a pothole

Potholes are usually the responsibility of the local council, or of the agency that manages \
motorways and major A roads.

Enter a postcode to find the right council.

Postcode
Find

What you'll need

When you report a pothole you'll usually be asked for:

the street name and nearest house number or landmark
a description of where the pothole is in the road, for example near the kerb or in the middle of a lane
roughly how big and deep it is
a photo, if you can take one safely

Claiming for damage

If a pothole has damaged your vehicle, you may be able to claim compensation from the organisation \
responsible for the road. Keep receipts for any repairs and note the date, time and exact location.

Motorways and major A roads

Report problems on these roads to the national highways agency for your part of the UK, not to \
the council.

Published 3 March 2015
Last updated 12 January 2023
""",
    ),
    (
        "https://www.nasa.gov/mission_pages/sounding-rockets/what-is-a-sounding-rocket.html",
        """\
What Is a Sounding Rocket?

Sounding rockets carry science instruments on short flights above most of Earth's atmosphere. The \
name comes from the nautical term "to sound," meaning to take measurements. A typical flight lasts \
between five and twenty minutes, and the payload usually spends only a few of those minutes at the \
top of its arc before falling back to Earth under a parachute.

Because they are relatively inexpensive and can be prepared quickly, sounding rockets are used to \
test new instruments before they fly on satellites, to study short-lived events such as solar \
flares or auroras, and to train students and early-career scientists in building flight hardware.

Unlike rockets that place spacecraft in orbit, sounding rockets fly a suborbital path. They do not \
reach the speed needed to circle the planet, which keeps costs down and means many payloads can be \
recovered and flown again.

Launches take place from ranges around the world, chosen so that the rocket can pass through a \
particular region of the atmosphere or observe a target in the sky at the right moment.

Page Last Updated: Feb 3, 2023
""",
    ),
    (
        "https://www.nasa.gov/feature/how-do-astronauts-sleep-in-space",
        """\
How Do Astronauts Sleep in Space?

On the space station there is no up or down, so astronauts can sleep in almost any orientation. \
Most use a small private crew quarters about the size of a phone booth, where a sleeping bag is \
attached to the wall so that they do not drift around and bump into things during the night.

Sleep can be harder than it sounds. The station orbits Earth roughly every 90 minutes, so the crew \
sees about 16 sunrises and sunsets each day. Window shades, lighting schedules that mimic a normal \
day, and strict routines help keep body clocks on track.

Noise is another challenge. Fans run constantly to move air around, because without gravity there \
is no natural convection and exhaled carbon dioxide can collect around a sleeping person's face. \
Many crew members use earplugs.

Astronauts typically schedule around eight and a half hours for sleep, and studies of crew members \
have helped researchers on the ground understand how light and routine affect sleep for shift \
workers.
""",
    ),
    (
        "https://www.ox.ac.uk/students/academic/libraries/vacation-hours",
        """\
Library opening hours during the vacation

Most libraries remain open during the Christmas and Easter vacations, but many operate reduced \
hours, and some close completely for a short period around public holidays.

Before you travel to a library, check its individual page for up-to-date times. Opening hours can \
change at short notice because of staffing or building work.

Reading rooms

Readers must bring their University card to enter any library. If you have lost your card, report \
it as soon as possible so that it can be cancelled and replaced.

Borrowing over the vacation

Many loans taken out near the end of term are automatically extended until the start of the \
following term. Items that are in high demand may still be recalled, so keep an eye on your email.

Online resources

E-journals, e-books and databases remain available off-site throughout the year. Log in with your \
single sign-on details to access subscribed content.

Need help?

Contact your subject librarian or the enquiries desk of the library you normally use.
""",
    ),
    (
        "http://web.mit.edu/6.s099/www/index.html",
        """\
6.S099: Building Small Robots

Spring Term

Lecture: Tuesdays and Thursdays, 2:30–4:00 pm
Lab: Wednesdays, 7–10 pm

Course description

This hands-on seminar introduces the design and construction of small autonomous robots. Students \
work in teams of three to build a wheeled robot from a kit of motors, sensors and a microcontroller \
board, then extend it to compete in an end-of-term challenge.

Topics include motor control, reading distance and line sensors, simple state machines, PID \
control, power budgets and debugging embedded code.

Prerequisites

Some programming experience in any language. No prior electronics experience is assumed; the \
first two labs cover soldering and basic circuits.

Grading

Weekly lab check-offs 40%
Design notebook 20%
Final challenge and presentation 40%

Announcements

Kits will be handed out at the first lab. Please bring a laptop with the toolchain installed; \
instructions are on the software page.
""",
    ),
    (
        "https://quietkitchenshelf.blogspot.com/2022/11/seeded-rye-crackers.html",
        """\
Seeded rye crackers (and a confession)

Sunday, 20 November 2022

I have a confession: for years I bought crackers without thinking about it, and it was only when \
a friend handed me a jar of homemade ones at a picnic that I realised how easy they are. These are \
the ones I've been making almost every week since.

You need 100g rye flour, 50g plain flour, 3 tablespoons of mixed seeds (I use sunflower, sesame \
and a little fennel), half a teaspoon of salt, 2 tablespoons of olive oil and about 90ml of water.

Mix everything into a firm dough, then roll it out as thin as you dare between two sheets of \
baking paper. Peel off the top sheet, score the dough into squares, sprinkle with flaky salt and \
bake at 180°C for 20 to 25 minutes until crisp at the edges.

They keep for a week in a tin, if they last that long. Next time I'm going to try them with \
caraway.

Posted by Helen at 18:42 3 comments:

Anonymous said...
Made these last night, they disappeared in an hour!
""",
    ),
    (
        "https://medium.com/@rohan.k.dev/what-i-learned-moving-a-cron-job-to-a-queue-4b1e0c2f9a7d",
        """\
What I learned moving a cron job to a job queue

Rohan K.

5 min read · Jan 30, 2023

For three years our nightly report ran as a single cron job on a single machine. It worked, until \
the night it didn't, and nobody noticed for four days.

The old setup

The script pulled the previous day's orders, built a spreadsheet and emailed it to finance. If the \
machine rebooted or the database was slow, the job failed silently. Our only monitoring was someone \
in finance asking where the report was.

The move

We split the work into small tasks on a queue: one to fetch orders, one to build each sheet, one to \
send. Each task can be retried on its own, and every failure now lands in a dashboard.\u2028The best \
part is that a slow database no longer means a missing report, only a late one.

What surprised me

Idempotency matters more than I expected. A retried "send email" task must not send the same \
report twice, so every task now records what it has already done.

Would I do it again? Yes, but I would add the monitoring first.
""",
    ),
    (
        "https://gardenwithmarta.wordpress.com/2023/01/15/pruning-apple-trees-in-january/",
        """\
Pruning apple trees in January

Posted on January 15, 2023 by Marta

Cold, bright day today so I finally tackled the two old apple trees at the bottom of the garden. \
They have not been pruned properly since we moved in and had turned into a tangle of crossing \
branches.

My rules, picked up from a very patient neighbour:

First take out anything dead, diseased or damaged.
Then remove branches that cross or rub against each other.
Open up the centre so that air and light can get in.
Never take more than about a quarter of the tree in one winter.

The last one is the hardest. It is tempting to keep going, but heavy pruning makes the tree throw \
up lots of vigorous upright shoots next summer, which just means more work.

I used a sharp pruning saw for the bigger branches and made each cut just outside the collar, the \
slightly swollen ring where a branch joins the trunk. Everything has gone on the compost heap \
except for a few straight pieces I am keeping for pea sticks.

Fingers crossed for a better crop this year!

Categories: Fruit, Garden jobs | 2 Comments
""",
    ),
    (
        "http://user@forum.example.net/t/12",
        """\
Thread: Best way to soundproof a shared wall?

Started by nightowl_k, 3 weeks ago

nightowl_k
New member

Our neighbours have a teenager who practises drums in the evening. They're lovely people and \
they've been reasonable about hours, but the shared wall in our living room is basically paper. Has \
anyone done something about this that actually worked without rebuilding the whole wall?

bassment
Regular

The cheapest thing that makes a real difference is mass. A second layer of plasterboard fixed on \
resilient bars with acoustic sealant around the edges helped us a lot. The foam panels you see \
online do almost nothing for low frequencies like a kick drum.

nightowl_k
New member

Thanks, how much space did you lose?

bassment
Regular

About five centimetres. Worth it for us. Also seal any gaps around sockets, sound gets through tiny \
holes more than you'd think.

Reply
Quick reply to this thread
""",
    ),
    (
        "https://WWW.Example.ORG/Page",
        """\
Example Organisation — About This Page

This page is maintained by a small volunteer team as a reference point for newcomers. If you \
arrived here from a search engine, welcome.

Who we are

We are an informal group of librarians, teachers and software people who maintain a handful of \
reading lists and introductory guides. Nothing here is sold and there are no adverts.

What you will find

Short guides to getting started with public library services online.
Reading lists for adult learners, updated twice a year.
A glossary of terms that come up when people first use catalogues and archives.

How to help

Corrections are always welcome. Send a note through the contact form with the page address and \
what you think should change, and one of us will look at it within a couple of weeks.

Last reviewed: January 2023
""",
    ),
    (
        "http://[2001:db8::1]/status",
        """\
Service status

All systems operational

Web frontend: operational
API: operational
Background workers: operational
Database (primary): operational
Database (replica): degraded performance, replication lag under 30 seconds

Past incidents

Feb 4, 2023 — Elevated error rates on file uploads. Resolved after 42 minutes. A misconfigured \
load balancer rule sent part of the upload traffic to a node that was being drained for \
maintenance.

Jan 27, 2023 — Scheduled maintenance. Database storage was expanded; no downtime was expected and \
none occurred.

Subscribe to updates by email or RSS to be notified when an incident is opened or resolved.
""",
    ),
    (
        "http://example-shop.com:8080/item?id=3",
        """\
Enamel Camping Mug, 350 ml — Forest Green

£12.50
In stock — usually dispatched within 2 working days

Quantity: 1
Add to basket

Description

A sturdy steel mug with a glossy enamel finish and a rolled rim that is comfortable to drink from. \
Light enough for a rucksack, tough enough for the campfire, and perfectly at home on the kitchen \
table.

Capacity: 350 ml
Weight: 180 g
Dimensions: 8 cm diameter, 9 cm tall
Dishwasher safe. Not suitable for microwave use.

Customer reviews

★★★★★ Lovely colour, slightly smaller than I expected but great for tea. — Joanne
★★★★☆ Survived a week in the Lake District and a drop onto rocks with only a small chip. — Dev

Delivery and returns

Free UK delivery on orders over £30. Unused items can be returned within 30 days.
""",
    ),
    (
        "https://www.allrecipes.com/recipe/240563/lemon-garlic-roast-chicken-thighs/",
        """\
Lemon Garlic Roast Chicken Thighs

Rating: 4.7 stars
312 Ratings

Crispy-skinned chicken thighs roasted on a bed of lemon slices and whole garlic cloves. A weeknight \
dinner that needs one pan and about ten minutes of hands-on time.

Prep Time: 10 mins
Cook Time: 40 mins
Total Time: 50 mins
Servings: 4

Ingredients

8 bone-in, skin-on chicken thighs
2 lemons, thinly sliced
1 head garlic, cloves separated but not peeled
2 tablespoons olive oil
1 teaspoon dried thyme
salt and pepper to taste

Directions

Step 1
Preheat the oven to 425 degrees F (220 degrees C).

Step 2
Spread lemon slices and garlic cloves in a large baking dish. Pat chicken dry, rub with oil and \
thyme, season well and arrange skin side up on top.

Step 3
Roast until the skin is golden and an instant-read thermometer inserted near the bone reads 165 \
degrees F (74 degrees C), 35 to 40 minutes.

Step 4
Squeeze the soft roasted garlic over the chicken before serving.
""",
    ),
    (
        "http://www.brightsidedental.co.uk/about-us",
        """\
About Brightside Dental

Brightside Dental is a family-run practice on the high street, caring for patients of all ages for \
over twenty years.

Our team

Our practice is led by two dentists, supported by a hygienist, three dental nurses and a reception \
team who will always do their best to find you an appointment that fits around work and school.

What we offer

Routine check-ups and hygiene appointments
White fillings, crowns and bridges
Teeth whitening
Emergency appointments, usually on the same day

Nervous patients

Many of our patients tell us they used to avoid the dentist. We take time to explain every step, \
agree a signal you can use to pause treatment, and never rush.

Opening hours

Monday to Thursday 8.30am – 5.30pm
Friday 8.30am – 4pm
Saturday by appointment

Find us

We are two minutes' walk from the bus station, with free parking behind the building.
""",
    ),
    (
        "https://github.com/tinyfox-labs/csvlint-lite",
        """\
csvlint-lite

A small command-line tool that checks CSV files for the problems that usually break imports: \
inconsistent column counts, mixed line endings, stray byte-order marks, and unquoted fields \
containing the delimiter.

Installation

pip install csvlint-lite

Usage

csvlint-lite data/*.csv

Each problem is reported with the file name, line number and a short explanation. The exit status \
is non-zero if any file fails, which makes it easy to use in CI.

Options

--delimiter CHAR    field separator (default: comma)
--encoding NAME     text encoding to assume (default: utf-8)
--max-errors N      stop after N problems per file

Why another linter?

Most validators try to check everything against a schema. This one only catches structural \
mistakes, but it is fast enough to run on every commit and has no dependencies beyond the standard \
library.

License

MIT
""",
    ),
    (
        "https://stackoverflow.com/questions/19026351/how-to-center-a-div-vertically-and-horizontally-with-flexbox",
        """\
How to center a div vertically and horizontally with flexbox?

Asked 9 years, 4 months ago Modified 2 years, 10 months ago Viewed 250k times

I have a login box that should sit in the middle of the page regardless of the window size. I have \
tried margin auto but it only centers horizontally. What is the simplest modern way?

html css flexbox centering

Answer

Make the parent a flex container and use both alignment properties:

.wrapper {
  display: flex;
  justify-content: center;
  align-items: center;
  min-height: 100vh;
}

justify-content handles the main axis (horizontal by default) and align-items handles the cross \
axis. The min-height is important: without it the wrapper is only as tall as its content, so there \
is nothing to center within.

If you prefer grid, display: grid; place-items: center; does the same in two lines.

answered Sep 26, 2013 at 18:20
edited Apr 10, 2020 at 9:05
""",
    ),
    (
        "https://www.etsy.com/listing/1183746521/hand-thrown-stoneware-planter-with",
        """\
Hand-thrown stoneware planter with drainage saucer

Star Seller
£28.00
Only 3 available and it's in 2 people's baskets

Colour: Speckled oat
Size: Medium (12cm)

Add to basket

Item details

Handmade
Materials: stoneware clay, glaze
Height: 11 centimetres
Width: 12 centimetres

Each planter is thrown on the wheel in my small studio, trimmed by hand and finished with a \
speckled oat glaze on the outside. The inside is left raw so roots can breathe. A matching saucer \
is included and has a small foot so it does not trap water underneath.

Because every piece is made by hand, sizes and glaze patterns vary slightly from the photos. This \
is part of their charm.

Delivery and return policies

Dispatches within 1–3 business days from United Kingdom. Returns and exchanges accepted within 14 \
days.
""",
    ),
    (
        "http://www.oakfieldparishcouncil.org.uk/minutes/2023-01?page=2",
        """\
Oakfield Parish Council

Minutes of the meeting held on Tuesday 10 January 2023 at 7.30pm in the Village Hall

Present: Cllr J. Hartley (Chair), Cllr P. Osei, Cllr M. Lindqvist, Cllr R. Dunn. In attendance: \
the Clerk and four members of the public.

1. Apologies for absence were received from Cllr S. Varma.

2. Declarations of interest: none.

3. Public participation. A resident raised concerns about speeding on Mill Lane near the school. \
The Chair agreed that the council would ask the county highways team about a speed survey.

4. Playground. The annual inspection report was noted. Two items were marked as medium risk: a \
worn seat on the junior swing and loose edging beside the slide. The Clerk will obtain quotes for \
both repairs.

5. Finance. Payments totalling £1,284.60 were approved. The draft budget for 2023/24 was discussed \
and will be finalised at the February meeting.

6. Date of next meeting: Tuesday 14 February 2023.

The meeting closed at 8.52pm.
""",
    ),
]


C4_DOCS = [
    (
        "https://en.wikipedia.org/wiki/Lighthouse_keeper",
        """\
A lighthouse keeper is a person responsible for tending and caring for a lighthouse, particularly the light and lens in the days when oil lamps and clockwork mechanisms were used.
Keepers were needed to trim wicks, replenish fuel, wind the clockwork that rotated the lens, and clean the glass so that the light could be seen as far out to sea as possible.
In foggy weather the keeper also sounded the fog signal, which might be a bell, a horn or a siren depending on the station.
Many lighthouses were built on remote rocks or islands, and keepers often worked in rotating teams so that each person spent several weeks at the station followed by a period ashore.
Life on an isolated station could be monotonous, and logbooks from the period record weather, passing ships and repairs in great detail.
From the middle of the twentieth century most lighthouses were automated, with electric lamps, sensors and remote monitoring replacing the daily work of the keeper.
The last keepers left many stations in the 1980s and 1990s, and a number of former keepers' cottages are now holiday lets or small museums.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Abacus",
        """\
The abacus, also called a counting frame, is a calculating tool that has been used since ancient times and is still used in some parts of the world today.
A typical modern abacus consists of a rectangular frame holding a number of rods, with beads that slide along each rod.
Each rod represents a place value, so that a number is shown by the positions of the beads on successive rods.
In the Chinese suanpan each rod usually carries two beads above a dividing bar and five below it, while the Japanese soroban has one bead above and four below.
Skilled users can add, subtract, multiply and divide very quickly, and some learn to calculate by picturing the beads without a physical frame at all.
The abacus is still taught in some schools as a way of building a strong sense of place value and mental arithmetic.
Versions with larger beads are also used to teach counting to young children and to help blind and partially sighted people carry out calculations.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Dry_stone",
        """\
Dry stone walling is a method of building walls from stones that are fitted together without any mortar.
The stability of a dry stone wall comes from its shape and from the careful placing of each stone, rather than from any binding material.
A typical field wall is built as two faces that lean slightly inwards, with the gap between them packed tightly with smaller stones known as hearting.
Long through stones are laid across the full width of the wall at intervals to tie the two faces together.
The top is usually finished with a row of coping stones set on edge, which add weight and shed rain.
Dry stone walls are common in upland areas of Britain and Ireland, where stone cleared from fields was readily available.
Well built walls can stand for centuries, and traditional walling skills are kept alive by training courses and competitions.
""",
    ),
    (
        "https://simple.wikipedia.org/wiki/Honey_bee",
        """\
A honey bee is a flying insect that lives in large groups called colonies.
Honey bees collect nectar and pollen from flowers, and they make honey from the nectar.
A colony usually has one queen, a few hundred males called drones, and many thousands of female worker bees.
The queen lays the eggs, the drones mate with queens from other colonies, and the workers do almost all the other jobs.
Worker bees clean the hive, feed the young, build wax comb, guard the entrance and fly out to find food.
When a worker finds a good patch of flowers, she goes back to the hive and does a special dance that tells other bees where the flowers are.
Honey bees are very important to farmers because they carry pollen from one flower to another, which helps many fruits and vegetables to grow.
""",
    ),
    (
        "https://www.bbc.co.uk/news/uk-wales-47923310",
        """\
A community cinema in a former chapel has reopened after volunteers spent two years restoring the building.
The cinema closed when the roof began to leak and the original projector was found to be beyond repair.
Local residents raised more than £40,000 through events, a crowdfunding page and a series of small grants.
The first screening on Saturday was a family film, and organisers said every seat had been booked within a day.
"It has always been more than a cinema," said one of the volunteers. "It is where people meet their neighbours."
The group now hopes to add a small café and to show films in Welsh once a month.
Tickets will stay at a low price so that families can afford to come regularly, organisers said.
""",
    ),
    (
        "https://www.bbc.co.uk/news/science-environment-47812345",
        """\
Gardeners are being asked to cut small holes in the bottom of their fences to help hedgehogs move between gardens.
Hedgehogs can travel more than a mile in a single night as they search for food and mates, but solid fences and walls often block their way.
A hole about the size of a compact disc is big enough for a hedgehog but too small for most pets.
Conservation groups say that linking gardens in this way can make a real difference to local populations.
They also recommend leaving a wild corner with long grass and leaf litter, avoiding slug pellets, and checking piles of garden waste before burning them.
Anyone who sees a hedgehog out during the day should contact a local rescue centre, as this can be a sign that the animal is unwell.
""",
    ),
    (
        "https://www.theguardian.com/money/2019/apr/13/how-to-cut-your-energy-bills-this-spring",
        """\
Spring is a good time to look again at how much you pay for gas and electricity, before the next round of price changes.
Start by finding your latest bill and noting your annual usage in kilowatt hours, which is more useful for comparisons than the monthly amount you pay.
Comparison sites can then show you what the same usage would cost on other tariffs, including fixed deals that protect you from rises for a year or more.
If you have been on your supplier's standard variable tariff for a long time, the chances are you are paying more than you need to.
Switching usually takes a few weeks and your supply will not be interrupted at any point.
Small changes at home still help too, such as turning the thermostat down by one degree and only boiling as much water as you need.
Anyone who is struggling to pay should contact their supplier, which is expected to offer a payment plan based on what they can afford.
""",
    ),
    (
        "https://apnews.com/5f1c9a0b7d2e4a11b8c3e6f70d9a2b44",
        """\
A small-town library has started lending more than books, with patrons now able to borrow cake pans, fishing rods and even a telescope.
The library began the collection last year with a handful of donated kitchen items and now has more than 200 objects on its shelves.
The most popular item is a sewing machine, which has a waiting list of several weeks, the library director said.
Borrowers use their regular library card and can keep most items for two weeks.
The director said the idea was to save residents money and reduce waste, since many households buy tools they only use once or twice a year.
Other libraries in the region have contacted the staff to ask how the program works and what it costs to run.
The library plans to add gardening tools this spring after a local hardware store offered to donate a set.
""",
    ),
    (
        "https://stackoverflow.com/questions/29375123/what-is-the-difference-between-a-process-and-a-thread",
        """\
I keep reading that threads are lighter than processes, but I do not really understand what that means in practice.
Can someone explain the difference in simple terms, and when I should use one or the other?
A process is a running program with its own memory space, its own file handles and at least one thread of execution.
Threads are separate paths of execution inside the same process, and they share that process's memory.
Because threads share memory, they can exchange data cheaply, but they also need locks or other synchronisation so they do not corrupt each other's data.
Processes are isolated from one another, so a crash in one usually does not bring down the others, but passing data between them requires pipes, sockets or shared memory.
Creating a thread is normally faster than creating a process, which is where the claim that threads are lighter comes from.
As a rule of thumb, use threads for tasks that spend most of their time waiting on input and output, and separate processes when you need isolation or true parallelism in a language with a global interpreter lock.
Thanks, that last paragraph finally made it click for me.
""",
    ),
    (
        "https://stackoverflow.com/questions/38104562/why-is-my-sql-query-slow-with-like-and-a-leading-wildcard",
        """\
My query searches a table of about two million customer records using a pattern with a wildcard at the start, and it takes several seconds every time.
There is an index on the name column, so I assumed the query would be fast.
Why is the index not being used?
A normal B-tree index stores values in sorted order, which lets the database jump straight to values that start with a given prefix.
When the pattern begins with a wildcard, the database cannot know where in the sorted order matching values might be, so it has to scan every row.
If you really need to search for text anywhere inside a value, look at the full text search features of your database, or at trigram indexes if you are using PostgreSQL.
Another option is to store a reversed copy of the column and index that, which works well when users usually search for the end of a value, such as the domain part of an email address.
The trigram index worked perfectly, and the query now runs in a few milliseconds.
""",
    ),
    (
        "https://math.stackexchange.com/questions/2156032/intuition-behind-the-birthday-problem",
        """\
Why do only 23 people need to be in a room for there to be a better than even chance that two of them share a birthday?
It seems far too small when there are 365 possible days.
The key is that you are not asking whether someone shares your birthday, but whether any pair of people in the room share one.
With 23 people there are 253 different pairs, and each pair is a separate chance for a match.
It is easier to calculate the probability that nobody shares a birthday and subtract it from one.
The first person can have any birthday, the second must avoid one day, the third must avoid two days, and so on.
Multiplying these probabilities for 23 people gives a little under one half, so the chance of at least one shared birthday is a little over one half.
The intuition that fails is that we tend to think about our own birthday rather than about all the pairs at once.
""",
    ),
    (
        "https://www.reddit.com/r/bicycletouring/comments/b9x1qe/first_overnight_trip_what_did_you_wish_you_had/",
        """\
Planning my first overnight bike trip next month, about 60 miles each way with one night at a campsite.
What is the one thing you wish you had packed on your first trip?
A proper rear light with a spare battery, because I ended up riding the last hour in the dark.
Baby wipes and a small tube of chamois cream, trust me on this one.
Honestly, less stuff. I carried far too much and the weight made every hill miserable.
A paper map of the route as a backup, since my phone died halfway through the second day.
Thanks everyone, I will keep it light and bring a real map!
""",
    ),
    (
        "https://thebackroadbaker.blogspot.com/2019/03/soda-bread-for-beginners.html",
        """\
If you have never baked bread before, soda bread is the place to start.
There is no yeast, no kneading and no waiting for dough to rise, so you can go from an empty bowl to a warm loaf in under an hour.
Mix 450 grams of plain flour with a teaspoon of bicarbonate of soda and a teaspoon of salt in a large bowl.
Make a well in the middle and pour in about 400 millilitres of buttermilk, then stir quickly with a wide knife until it comes together into a soft, slightly sticky dough.
Tip it onto a floured surface, shape it gently into a round and cut a deep cross in the top.
Bake at 200 degrees for around 35 minutes, until the loaf sounds hollow when you tap the bottom.
Wrap it in a clean tea towel while it cools if you like a soft crust.
It is best eaten on the day it is made, ideally with plenty of butter.
""",
    ),
    (
        "https://wanderingwithtwo.blogspot.com/2019/02/three-days-in-lisbon.html?m=1",
        """\
We spent three days in Lisbon at the end of February and it was the perfect winter escape.
The weather was mild enough for lunch outside most days, and the city was far quieter than it must be in summer.
On the first day we wandered through the old district, getting happily lost in the steep lanes and stopping for custard tarts far too often.
The second day we took the train out to the coast and walked along the seafront before heading back for dinner.
Our favourite moment was watching the sunset from one of the viewpoints with a small glass of wine.
Our advice is to wear comfortable shoes, because the hills and the polished stone pavements are no joke in the rain.
""",
    ),
    (
        "https://mountainmilesrunning.wordpress.com/2019/04/07/race-report-my-first-trail-half-marathon/",
        """\
Yesterday I ran my first trail half marathon, and I am still not sure whether my legs have forgiven me.
The course climbed steadily for the first five miles through pine forest before dropping down to a reservoir.
I started too fast, as everyone told me I would, and paid for it on the long climb after the halfway point.
The aid stations were brilliant, with flat cola, orange slices and volunteers who cheered every single runner.
The final two miles were downhill on loose stones, which was terrifying on tired legs.
I finished in two hours and fifty minutes, well behind the leaders but comfortably inside my goal.
Next time I will practise more on descents and actually follow my own pacing plan.
Thanks for reading, and let me know in the comments if you have any favourite trail races!
""",
    ),
    (
        "https://medium.com/@lena.ortiz/five-things-i-learned-in-my-first-year-as-a-junior-developer-3c8e1a2b7f19",
        """\
A year ago I started my first job as a software developer, and I have learned more than I expected, most of it not about code.
First, asking questions early is cheaper than being stuck for a day, and nobody on a good team thinks less of you for it.
Second, reading code is a skill in its own right, and I now spend more time reading than writing.
Third, small pull requests get reviewed faster and teach you more, because reviewers can actually focus on what you changed.
Fourth, writing down what you did each day makes performance reviews and stand-up meetings far less stressful.
Finally, it is fine not to know everything, because everyone around you is also still learning.
If you are just starting out, I hope some of this helps you avoid a few of my mistakes.
""",
    ),
    (
        "https://docs.python.org/3/tutorial/venv.html",
        """\
Applications written in Python often depend on packages that are not part of the standard library, and different applications may need different versions of the same package.
A virtual environment solves this by giving each project its own private directory of installed packages, separate from the system installation and from other projects.
To create one, run the venv module with the name of a directory where the environment should live.
Once the environment has been activated, the python and pip commands refer to the copies inside it, and packages you install are placed only in that environment.
Deactivating the environment returns your shell to its previous state.
It is common practice to record the packages a project needs in a requirements file, so that the same environment can be recreated on another machine.
Virtual environments are cheap to create and delete, so there is no need to be careful with them: if one becomes confused, remove the directory and start again.
""",
    ),
    (
        "https://developer.mozilla.org/en-US/docs/Learn/Accessibility/HTML",
        """\
Good accessibility starts with using the right HTML element for the job.
A button element can be focused with the keyboard, activated with the space bar or enter key, and announced correctly by screen readers without any extra work.
A generic element styled to look like a button gets none of this for free, and every missing behaviour has to be added back by hand.
Headings should describe the structure of the page, because many screen reader users jump from heading to heading to find what they need.
Images that carry meaning need a text alternative, while purely decorative images should have an empty alternative so that they are skipped.
Form inputs should always have a visible label that is linked to the input, which also gives mouse users a larger area to click.
Following these habits from the start costs very little and is far easier than fixing an inaccessible page later.
""",
    ),
    (
        "https://www.gov.uk/garden-bonfires-rules",
        """\
There are no general laws against having a bonfire in your garden, but there are rules about the nuisance and danger they can cause.
You must not burn household waste if it will cause pollution or harm people's health, and this includes rubber, plastics and anything that produces heavy smoke or toxic fumes.
Your local council can issue an abatement notice if a neighbour's bonfire is causing a statutory nuisance, for example by smoke being blown across gardens again and again.
You can be fined if smoke from your bonfire drifts across a road and becomes a danger to traffic.
Before lighting a bonfire, consider whether your garden waste could be composted or taken to a recycling centre instead.
If you do light one, tell your neighbours beforehand, check the wind direction and never leave the fire unattended.
Contact your council if you are affected by smoke from a neighbour's bonfire and talking to them has not solved the problem.
""",
    ),
    (
        "https://www.nasa.gov/audience/forstudents/k-4/stories/what-is-a-comet.html",
        """\
A comet is a frozen ball of ice, dust and rock that orbits the Sun.
Most comets are only a few kilometres across, and when they are far from the Sun they are too small and dark to see.
As a comet moves closer to the Sun, it warms up and some of its ice turns directly into gas.
The gas and dust form a glowing cloud around the comet called a coma, and they can be pushed away into long tails.
A comet can have two tails, one made of dust and one made of gas, and both always point away from the Sun.
Some comets return every few years, while others take thousands of years to travel once around their orbits.
Scientists study comets because they contain material left over from when the planets formed.
""",
    ),
    (
        "https://www.ox.ac.uk/news/2019-04-11-student-volunteers-keep-children-reading-over-summer",
        """\
A summer reading scheme run by university students has helped more than 300 local primary school pupils keep up their reading over the holidays.
Student volunteers visited libraries and community centres each week to read with children, run book quizzes and help them choose titles to take home.
Teachers reported that pupils who took part returned to school in September more confident and more willing to read aloud.
The scheme was started three years ago by a small group of undergraduates and is now supported by several colleges.
Organisers are looking for new volunteers for this summer, and no previous experience of working with children is needed, as full training will be given.
Anyone interested is encouraged to attend an information session in the first week of May.
""",
    ),
    (
        "http://web.mit.edu/hikingclub/www/about.html",
        """\
The hiking club organises hiking, climbing and paddling trips for students, staff and alumni throughout the year.
Most trips leave on Friday evening and return on Sunday, and beginners are always welcome.
We lend out tents, sleeping bags, stoves and winter boots to members at no cost, so you do not need to buy expensive gear before your first trip.
Membership costs a small annual fee, which covers insurance and the upkeep of our equipment.
Trip leaders complete first aid training and are happy to answer questions before you sign up.
Sign-ups for each trip open on the club mailing list about two weeks before departure.
Please read the safety guidelines on our website before joining any trip in winter conditions.
""",
    ),
    (
        "https://www.greenleafplumbing.com/services/boiler-repair/",
        """\
Greenleaf Plumbing has been repairing and servicing boilers across the county for more than fifteen years.
Our engineers are fully qualified and registered, and every van carries a wide stock of common parts so that most repairs can be completed in a single visit.
If your boiler is making unusual noises, losing pressure or failing to heat your water, give us a call and we will usually be with you within a day.
We offer fixed price annual servicing, which helps your boiler run efficiently and keeps your manufacturer's warranty valid.
All of our work is guaranteed for twelve months.
Call our friendly office team today for a free, no obligation quote.
""",
    ),
    (
        "http://www.sweetcrumbbakery.net/about.html",
        """\
Sweet Crumb Bakery opened on the corner of Elm Street in 2011 with one oven, two bakers and a very old family recipe for cinnamon rolls.
Today we bake everything on site every morning, from sourdough loaves and bagels to birthday cakes made to order.
We use flour from a regional mill and buy our eggs and dairy from farms within fifty miles whenever we can.
Custom cake orders need at least three days' notice, and wedding cakes should be booked at least two months in advance.
We are open from seven in the morning until three in the afternoon, Tuesday through Sunday.
Come early on Saturdays, because the cinnamon rolls are usually gone by ten!
""",
    ),
    (
        "https://www.xn--caf-luna-d1a.co.uk/menu",
        """\
Our kitchen is open every day from eight in the morning until four in the afternoon.
Breakfast is served until half past eleven, and we are happy to swap bread for a gluten free option on any dish.
The full breakfast comes with two eggs cooked your way, grilled tomatoes, mushrooms, beans and toast.
Our soup of the day is always vegetarian and is served with a thick slice of homemade bread.
Sandwiches are made to order on white, brown or sourdough, and can be toasted for a small extra charge.
All of our cakes are baked in house, and we always have at least one vegan option on the counter.
Please ask a member of staff if you have any allergies, as our full allergen information is available at the till.
""",
    ),
    (
        "https://www.amazon.com/Stainless-Steel-Insulated-Water-Bottle/dp/B07QX3K9ZL",
        """\
This double wall stainless steel bottle keeps drinks cold for up to 24 hours and hot for up to 12 hours.
The leak proof lid has a carry loop and fits comfortably in one hand, and the wide mouth makes it easy to add ice cubes or clean the inside.
The powder coated finish is sweat free, so the bottle will not leave rings on your desk or soak your bag.
It is free from BPA and does not hold on to flavours, so you can switch from coffee to water without any lingering taste.
The bottle holds 750 millilitres and fits most car cup holders.
I bought this for my daily commute and my tea is still hot when I get home in the evening.
The only downside is that the paint chipped a little after I dropped it on concrete, but it still works perfectly.
""",
    ),
    (
        "https://www.brookfieldhomes-realty.com/listings/4-bed-colonial-maple-ave?ref=search&page=3",
        """\
This charming four bedroom colonial sits on a quiet, tree lined street just a short walk from the elementary school and town park.
The main level offers a bright living room with a wood burning fireplace, a formal dining room and an updated kitchen with granite counters and stainless appliances.
A sliding door leads from the kitchen to a large deck overlooking the fenced back yard.
Upstairs you will find the main bedroom with its own bathroom, three further bedrooms and a full hall bath.
The finished basement provides extra space for a home office or play room, along with laundry and plenty of storage.
Recent updates include a new roof in 2016 and a high efficiency furnace installed in 2018.
Call today to schedule a private showing, as homes on this street rarely stay on the market for long.
""",
    ),
    (
        "https://www.tripadvisor.co.uk/ShowUserReviews-g186338-d192133-r667001122-Review.html",
        """\
We stayed three nights in a double room at the back of the hotel and it was wonderfully quiet considering how central it is.
The room was small but spotless, with a comfortable bed and a decent shower with good pressure.
Breakfast was the highlight, with fresh pastries, eggs cooked to order and proper coffee.
Staff at the front desk were friendly and gave us excellent advice on which museums to visit early to avoid the queues.
The only negative was the lift, which is tiny and was out of order for one morning of our stay.
We would definitely stay here again and would recommend it to couples looking for a central base.
""",
    ),
    (
        "https://www.countycareers.org/jobs/view.php?id=20931&src=rss",
        """\
The county library service is looking for a part time library assistant to join its friendly team at the central library.
You will help customers find books and information, issue and return items, and support people using the public computers.
The post is for twenty hours a week, including one late evening and alternate Saturdays.
No previous library experience is needed, but you should enjoy working with the public and be comfortable using computers.
Full training will be provided, and there are opportunities to help with children's events and reading groups.
The closing date for applications is Friday the 3rd of May, and interviews will be held in the week beginning the 13th of May.
""",
    ),
    (
        "http://www.stmarysnewbridge.org.uk/news.php?item=144",
        """\
Thank you to everyone who helped with the Mothering Sunday flowers this year, the church looked beautiful for the services.
The spring coffee morning raised £412 for the roof fund, which now stands at just over half of our target.
Our Tuesday toddler group will take a break during the school holidays and will restart on the 30th of April.
The annual parish meeting will be held after the morning service on the 28th of April, and all are welcome to attend.
We are still looking for volunteers to join the tea rota, even if you can only help once a month.
Please speak to a churchwarden or leave your name on the list at the back of the church.
""",
    ),
    (
        "https://www.hillcrestprimary.co.uk/newsletter/spring-term-2019",
        """\
What a busy term it has been for everyone at Hillcrest Primary School.
Year 4 visited the science museum in February and came back full of questions about electricity and magnets.
Our choir performed at the town hall as part of the schools music festival and received a wonderful response from the audience.
Thank you to all the parents who came to our reading café, which was a great chance to share books with the children.
Please remember that the summer term begins on Tuesday the 23rd of April, and that all children should bring a named water bottle every day.
We wish all our families a restful and happy Easter holiday.
""",
    ),
    (
        "https://www.cnet.com/reviews/budget-e-reader-review/",
        """\
The latest budget e-reader gets the basics right, with a sharp six inch screen, an adjustable front light and battery life measured in weeks rather than hours.
The screen is bright enough to read comfortably in bed, and the warm light setting makes a real difference late at night.
Page turns are quick, although the device occasionally pauses when opening very large files.
The plastic case feels a little cheap, but it is light enough to hold in one hand for a long time.
It lacks the waterproofing of more expensive models, so you will need to be careful by the pool.
For most readers who simply want to carry a library in their pocket, this is an easy recommendation.
""",
    ),
    (
        "https://www.allrecipes.com/recipe/21412/easy-moist-banana-bread/",
        """\
This moist banana bread is the perfect way to use up overripe bananas, and it takes only ten minutes to mix.
Preheat the oven to 350 degrees F and grease a loaf pan.
In a large bowl, mash three ripe bananas with a fork until mostly smooth.
Stir in a third of a cup of melted butter, then add one beaten egg, three quarters of a cup of sugar and a teaspoon of vanilla.
Sprinkle a teaspoon of baking soda and a pinch of salt over the mixture and stir to combine.
Add one and a half cups of flour and mix just until no dry streaks remain.
Pour the batter into the prepared pan and bake for about an hour, until a toothpick inserted in the center comes out clean.
Cool in the pan for ten minutes before turning out onto a wire rack.
""",
    ),
    (
        "https://forums.classicmotorworld.net/threads/carburettor-tuning-question.8812/page-2",
        """\
I have rebuilt the carburettors on my old twin and it starts fine, but it stumbles badly when I open the throttle quickly.
It idles smoothly and pulls well once it is above half throttle.
That sounds like a weak mixture in the transition, so check the needle clip position before anything else.
Also make sure both carbs are balanced, because a small difference between them can cause exactly what you describe.
I had the same problem and it turned out to be a split rubber between the carb and the cylinder head letting in extra air.
Thanks for the suggestions, I found a cracked intake rubber on the left side and the bike now pulls cleanly.
""",
    ),
    (
        "http://www.diyhomefixes.co.uk/how-to/fix-a-dripping-tap/",
        """\
A dripping tap is usually caused by a worn washer or a damaged ceramic cartridge, and both are easy and cheap to replace.
Before you start, turn off the water supply to the tap and open it fully to drain any remaining water.
Put the plug in the sink so that small parts cannot disappear down the drain.
Remove the decorative cap and unscrew the handle, then use a spanner to undo the valve body.
Take the old washer or cartridge with you to the shop so that you can buy an exact match.
Fit the new part, reassemble the tap and turn the water back on slowly.
If the tap still drips, the valve seat may be worn and will need to be reground or the tap replaced.
""",
    ),
    (
        "https://www.happytailsrescue.org/adopt/dogs/?id=512&sort=age&q=terrier%20cross",
        """\
Meet Biscuit, a gentle four year old terrier cross who is looking for a quiet home.
Biscuit came to us when her owner moved into care, and she has settled in beautifully with her foster family.
She loves short walks, long naps and any toy that squeaks.
She is house trained, walks well on a lead and is happy to be left alone for a few hours.
Biscuit would be best suited to a home without young children, as she can be nervous around sudden noises.
She is fully vaccinated, microchipped and spayed.
If you think Biscuit could be the dog for you, please fill in our adoption form and a member of our team will be in touch.
""",
    ),
]


REFINEDWEB_DOCS = [
    (
        "https://de.wikipedia.org/wiki/Wiener_Kaffeehaus",
        [
            [
                "https://upload.wikimedia.org/wikipedia/commons/thumb/0/0c/Kaffeehaus_Innenraum.jpg/220px-Kaffeehaus_Innenraum.jpg",
                "Innenraum eines Wiener Kaffeehauses",
            ],
        ],
        """\
Wiener Kaffeehaus

Das Wiener Kaffeehaus ist eine traditionelle Gaststättenform, die seit dem späten 17. Jahrhundert \
eng mit der Stadtkultur Wiens verbunden ist. Seit 2011 zählt die Wiener Kaffeehauskultur zum \
immateriellen Kulturerbe in Österreich.
Typisch sind Marmortischchen, Thonetsessel, Logen und ein großes Angebot an Zeitungen, die den \
Gästen kostenlos zur Verfügung stehen. Zum Kaffee wird traditionell ein Glas Leitungswasser \
serviert, das vom Kellner unaufgefordert nachgefüllt wird.

Geschichte
Der Legende nach soll nach der Zweiten Wiener Türkenbelagerung 1683 ein Kundschafter die \
zurückgelassenen Kaffeebohnen der Belagerer erhalten und damit das erste Kaffeehaus der Stadt \
eröffnet haben. Historiker halten diese Erzählung für unbelegt; nachweisbar sind die ersten \
Kaffeeausschänke gegen Ende des 17. Jahrhunderts.
Im 19. und frühen 20. Jahrhundert wurden die Kaffeehäuser zu Treffpunkten von Schriftstellern, \
Künstlern und Intellektuellen, die dort stundenlang lasen, schrieben und diskutierten.

Siehe auch
Liste der Wiener Kaffeehäuser
""",
    ),
    (
        "https://de.wikipedia.org/wiki/Wuppertaler_Schwebebahn",
        [],
        """\
Wuppertaler Schwebebahn

Die Wuppertaler Schwebebahn ist eine als Einschienenbahn ausgeführte Hängebahn in Wuppertal. Sie \
wurde im Jahr 1901 eröffnet und gilt als das Wahrzeichen der Stadt.
Die Strecke ist rund 13 Kilometer lang und verläuft auf etwa zehn Kilometern über dem Fluss Wupper, \
im westlichen Abschnitt über einer Straße. Die Wagen hängen an einem Stahlgerüst und werden \
elektrisch angetrieben.

Betrieb
Die Schwebebahn ist Teil des öffentlichen Nahverkehrs und wird von den Wuppertaler Stadtwerken \
betrieben. Sie befördert täglich mehrere zehntausend Fahrgäste.
Bekannt wurde die Bahn unter anderem durch den Elefanten Tuffi, der im Jahr 1950 bei einer \
Werbefahrt aus einem Wagen in die Wupper sprang und dabei nur leicht verletzt wurde.

Denkmalschutz
Die Schwebebahn steht seit 1997 unter Denkmalschutz. Zwischen den 1990er- und 2010er-Jahren wurde \
das Traggerüst fast vollständig erneuert.
""",
    ),
    (
        "https://de.wikipedia.org/wiki/Brezel",
        [
            [
                "https://upload.wikimedia.org/wikipedia/commons/thumb/5/5a/Laugenbrezel.jpg/240px-Laugenbrezel.jpg",
                "Laugenbrezel",
            ],
            [
                "https://upload.wikimedia.org/wikipedia/commons/thumb/9/9e/Zunftzeichen_Baecker.jpg/180px-Zunftzeichen_Baecker.jpg",
                "",
            ],
        ],
        """\
Brezel

Die Brezel (auch Breze, Brezn oder Bretzel) ist ein Gebäck in einer charakteristischen \
Schlingenform, das vor allem in Süddeutschland, Österreich, der Schweiz und im Elsass verbreitet \
ist.
Die bekannteste Variante ist die Laugenbrezel. Der Teigling wird vor dem Backen kurz in \
Natronlauge getaucht, wodurch beim Backen die typische braune, glänzende Kruste und der besondere \
Geschmack entstehen. Anschließend wird sie meist mit grobem Salz bestreut.

Herkunft
Die Herkunft der Form ist nicht eindeutig geklärt. Häufig wird sie mit verschränkten Armen in \
Verbindung gebracht, und der Name wird auf das lateinische Wort bracchium (Arm) zurückgeführt. \
Brezeln sind bereits auf mittelalterlichen Darstellungen zu sehen und dienten lange als \
Zunftzeichen der Bäcker.

Regionale Unterschiede
In Schwaben hat die Brezel dünne, knusprige Ärmchen und einen dicken, oft aufgeschnittenen \
„Bauch“, während die bayerische Breze gleichmäßiger geformt ist.
""",
    ),
    (
        "https://fr.wikipedia.org/wiki/Mistral_(vent)",
        [],
        """\
Mistral (vent)

Le mistral est un vent du nord à nord-ouest qui souffle sur le sud-est de la France, de la vallée \
du Rhône jusqu'à la Méditerranée. Il est particulièrement fréquent en hiver et au printemps.

Formation
Le mistral se forme lorsqu'une zone de haute pression se trouve sur le golfe de Gascogne et qu'une \
dépression se creuse sur le golfe de Gênes. L'air froid s'engouffre alors dans le couloir \
rhodanien, entre le Massif central et les Alpes, où il accélère fortement.

Effets
Ce vent sec et froid chasse les nuages et apporte souvent un ciel d'un bleu très pur. Il peut \
souffler pendant plusieurs jours de suite, avec des rafales dépassant parfois 100 km/h. Dans la \
région, les maisons traditionnelles sont souvent orientées pour s'en protéger, et les haies de \
cyprès servent de brise-vent pour les cultures.

Dans la culture
Le mistral est très présent dans la littérature et la peinture provençales. Son nom vient de \
l'occitan mistral, qui signifie « magistral ».
""",
    ),
    (
        "https://fr.wikipedia.org/wiki/Tarte_Tatin",
        [
            [
                "https://upload.wikimedia.org/wikipedia/commons/thumb/3/3f/Tarte_tatin_maison.jpg/250px-Tarte_tatin_maison.jpg",
                "Tarte Tatin maison",
            ],
        ],
        """\
Tarte Tatin

La tarte Tatin est une tarte aux pommes caramélisées cuite à l'envers, la pâte étant placée \
au-dessus des fruits, puis retournée au moment de servir.

Histoire
Elle doit son nom aux sœurs Stéphanie et Caroline Tatin, qui tenaient un hôtel-restaurant à \
Lamotte-Beuvron, en Sologne, à la fin du XIXe siècle. Selon la légende la plus répandue, l'une des \
deux sœurs aurait oublié de mettre la pâte au fond du moule et l'aurait ajoutée par-dessus en cours \
de cuisson. Cette histoire n'est toutefois pas attestée par des sources de l'époque.

Préparation
Les pommes, coupées en quartiers, sont disposées dans un moule avec du beurre et du sucre, puis \
cuites jusqu'à obtenir un caramel blond. On les recouvre ensuite d'une pâte brisée ou feuilletée \
avant de terminer la cuisson au four. La tarte est démoulée encore tiède.
Elle est souvent servie avec de la crème fraîche ou une boule de glace à la vanille.
""",
    ),
    (
        "https://fr.wikipedia.org/wiki/Pont_du_Gard",
        [],
        """\
Pont du Gard

Le pont du Gard est un pont-aqueduc romain à trois niveaux, situé dans le département du Gard, dans \
le sud de la France. Il franchit le Gardon et faisait partie de l'aqueduc qui alimentait la ville \
de Nîmes en eau.
Construit au Ier siècle apr. J.-C., il mesure près de 49 mètres de haut, ce qui en fait le plus \
haut pont-aqueduc romain connu. Les pierres des deux niveaux inférieurs ont été assemblées sans \
mortier.
L'aqueduc, long d'une cinquantaine de kilomètres, présentait une pente très faible, de l'ordre de \
25 centimètres par kilomètre en moyenne, ce qui témoigne de la précision des ingénieurs romains.

Patrimoine
Le pont du Gard est inscrit sur la liste du patrimoine mondial de l'UNESCO depuis 1985. Il est \
aujourd'hui l'un des monuments antiques les plus visités de France.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Sourdough",
        [],
        """\
Sourdough

Sourdough is a type of bread leavened by a culture of naturally occurring yeasts and lactic acid \
bacteria, known as a starter, rather than by packaged baker's yeast. The bacteria produce lactic \
and acetic acids, which give the bread its characteristic tangy flavour and help it keep longer.
A starter is made by mixing flour and water and leaving it to ferment, then regularly discarding \
part of it and replenishing it with fresh flour and water. Once established, a starter can be \
maintained indefinitely, and some bakeries claim to use cultures that are many decades old.

Fermentation
Because the culture works more slowly than commercial yeast, sourdough doughs typically rise over \
many hours. Bakers often use this long fermentation to develop flavour, sometimes retarding the \
dough in a refrigerator overnight.

History
Sourdough was the usual way of leavening bread for most of history, until the large-scale \
production of baker's yeast in the 19th century. Interest in home sourdough baking grew sharply in \
2020.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Mudlarking",
        [],
        """\
Mudlarking

Mudlarking is the practice of searching the mud of river banks at low tide for items of value or \
historical interest. The term is most closely associated with the River Thames in London.
In the 18th and 19th centuries mudlarks were usually poor children and adults who scavenged the \
foreshore for coal, rope, bones and scraps of metal that they could sell. Their work was dirty and \
often dangerous, and contemporary writers described it as one of the lowest ways of making a living.

Modern mudlarking
Today mudlarking is a hobby. Because the Thames mud is largely free of oxygen, it preserves objects \
remarkably well, and finds range from clay pipes and pottery to coins, buttons and tools spanning \
two thousand years of the city's history.
In London, searching the foreshore requires a permit from the Port of London Authority, and \
significant finds are expected to be recorded with the Portable Antiquities Scheme.
""",
    ),
    (
        "https://en.wikipedia.org/wiki/Murmuration",
        [
            [
                "https://upload.wikimedia.org/wikipedia/commons/thumb/7/71/Starling_murmuration_at_dusk.jpg/300px-Starling_murmuration_at_dusk.jpg",
                "A starling murmuration at dusk",
            ],
        ],
        """\
Murmuration

A murmuration is a large flock of starlings flying in tight, swirling formation, typically at dusk \
before the birds settle to roost. Gatherings can contain from a few hundred to hundreds of \
thousands of birds.

Behaviour
The shifting shapes arise without any leader. Studies suggest that each bird responds to the \
movements of a small, fixed number of its nearest neighbours, roughly six or seven, regardless of \
how dense the flock is. Changes in direction can therefore spread through the whole group almost \
instantly.

Purpose
Several explanations have been proposed for why starlings form murmurations. The most widely \
accepted is protection from predators: peregrine falcons and other raptors find it hard to target \
a single bird in a large, rapidly changing mass. Gathering in large numbers may also help the birds \
keep warm at night and exchange information about feeding areas.
Murmurations are most often seen in autumn and winter, and well-known roosts attract many visitors.
""",
    ),
    (
        "https://simple.wikipedia.org/wiki/Tea",
        [],
        """\
Tea

Tea is a drink made by pouring hot water over the dried leaves of the tea plant. The tea plant is \
a bush that grows in warm, wet places. Its scientific name is Camellia sinensis.
Tea first became popular in China many hundreds of years ago. Later, traders carried it to Japan, \
India, Europe and many other places. Today it is one of the most popular drinks in the world.

Kinds of tea
There are several main kinds of tea. Green tea is made from leaves that are dried quickly. Black \
tea is made from leaves that are left to react with the air before they are dried, which makes \
them dark. Oolong tea is in between.
Some people drink tea with milk, sugar or lemon. Drinks made from other plants, like mint or \
chamomile, are often called herbal tea, even though they do not contain leaves from the tea plant.
""",
    ),
    (
        "https://www.bücher.de/artikel/buch/der-kleine-gartenratgeber/61834207/",
        [
            ["https://www.bücher.de/media/cover/61834207_gross.jpg", "Der kleine Gartenratgeber"],
        ],
        """\
Der kleine Gartenratgeber
Alles über Beete, Balkon und Kübelpflanzen
Broschiertes Buch
14,99 €
inkl. MwSt, versandkostenfrei
Sofort lieferbar
In den Warenkorb

Beschreibung
Ob Gemüsebeet, Kräuterkasten oder Rosen im Kübel: Dieser handliche Ratgeber erklärt Schritt für \
Schritt, was wann zu tun ist. Ein Gartenkalender für jeden Monat, übersichtliche Pflanzenporträts \
und viele Tipps gegen Schädlinge ohne Chemie helfen Einsteigern wie erfahrenen Hobbygärtnern.

Produktdetails
Verlag: Grünfink Verlag
Seitenzahl: 192
Erscheinungstermin: März 2021
Sprache: Deutsch
Abmessung: 210mm x 148mm

Kundenbewertungen
„Genau das Richtige für meinen ersten Schrebergarten. Klar geschrieben und schön bebildert.“
„Praktisch für die Jackentasche, auch wenn mir ein paar Fotos mehr gefallen hätten.“
""",
    ),
    (
        "https://xn--bcher-kva.de/kategorie/krimis-%26-thriller?seite=2",
        [],
        """\
Krimis & Thriller
Seite 2 von 14
Sortieren nach: Beliebtheit | Preis aufsteigend | Erscheinungsdatum

Nebel über dem Moor
Ein Fall für Kommissarin Lenz
Taschenbuch, 11,00 €

Die stille Zeugin
Thriller
Gebundenes Buch, 22,00 €

Tod am Deich
Ein Nordsee-Krimi
eBook, 8,99 €

Unser Tipp des Monats
In einem kleinen Dorf an der Ostsee verschwindet während eines Sturms die Tochter des \
Bürgermeisters. Die junge Polizistin Mareike Sand, gerade erst aus Hamburg zurückgekehrt, stößt bei \
ihren Ermittlungen auf ein Geheimnis, das die Dorfgemeinschaft seit Jahrzehnten zusammenhält – und \
zugleich entzweit. Ein atmosphärischer Krimi über Schuld, Schweigen und die Frage, wie gut man \
seine Nachbarn wirklich kennt.

Kostenloser Versand innerhalb Deutschlands
Bequem auf Rechnung bezahlen
""",
    ),
    (
        "https://www.lemonde.fr/planete/article/2022/08/12/secheresse-dans-les-campagnes-les-agriculteurs-s-adaptent-au-manque-d-eau_6137721_3244.html",
        [],
        """\
Sécheresse : dans les campagnes, les agriculteurs s'adaptent au manque d'eau
Les restrictions d'usage de l'eau se multiplient dans de nombreux départements. Dans les \
exploitations, on réorganise l'irrigation, on sacrifie certaines parcelles et l'on s'inquiète déjà \
pour l'année prochaine.
Publié le 12 août 2022 à 06h00

Dans la cour de sa ferme, un éleveur montre les prairies jaunies qui s'étendent jusqu'à l'horizon. \
« D'habitude, à cette période, les vaches sont encore dehors toute la journée. Cette année, on a \
commencé à entamer le fourrage de l'hiver », explique-t-il.
Les arrêtés préfectoraux limitent l'arrosage des jardins, le lavage des voitures et, dans certains \
cas, l'irrigation agricole à certaines heures de la journée. Les agriculteurs qui disposent de \
retenues d'eau peuvent continuer à arroser, mais beaucoup constatent que leurs réserves baissent \
plus vite que prévu.
Les syndicats agricoles réclament des aides d'urgence et une réflexion de long terme sur le \
stockage de l'eau, un sujet qui divise fortement. Les associations environnementales plaident, \
elles, pour une évolution des cultures vers des variétés moins gourmandes en eau.
""",
    ),
    (
        "https://www.stadt-beispielhausen.de/buergerservice/personalausweis-beantragen",
        [],
        """\
Personalausweis beantragen
Den Personalausweis beantragen Sie persönlich im Bürgerbüro. Bitte vereinbaren Sie vorab online \
einen Termin, da die Wartezeiten ohne Termin sehr lang sein können.

Was wird benötigt?
Ihr bisheriger Personalausweis oder Reisepass
ein aktuelles biometrisches Passfoto
bei Erstbeantragung für Kinder die Geburtsurkunde

Gebühren
Für Antragstellerinnen und Antragsteller ab 24 Jahren kostet der Personalausweis 37,00 Euro, für \
Jüngere 22,80 Euro.

Bearbeitungszeit
Die Herstellung dauert in der Regel drei bis vier Wochen. Sie erhalten eine Benachrichtigung, \
sobald Ihr Ausweis abholbereit ist.

Vorläufiger Personalausweis
Wenn Sie kurzfristig ein Ausweisdokument benötigen, kann ein vorläufiger Personalausweis \
ausgestellt werden. Die Gebühr beträgt 10,00 Euro.
""",
    ),
    (
        "https://www.gutefrage.net/frage/warum-wird-brot-hart-und-kuchen-eher-weich",
        [],
        """\
Warum wird Brot hart und Kuchen eher weich?
Hallo, mir ist aufgefallen, dass Brot nach ein paar Tagen hart wird, Kuchen aber eher matschig. \
Woran liegt das eigentlich?

Beste Antwort
Das Hartwerden von Brot hat weniger mit Austrocknen zu tun, als man denkt. Die Stärke im Brot \
verändert beim Abkühlen und Lagern ihre Struktur, sie kristallisiert teilweise wieder aus. \
Fachleute nennen das Retrogradation. Dadurch wird die Krume fest und bröselig, selbst wenn das Brot \
luftdicht verpackt ist.
Kuchen enthält viel mehr Zucker und Fett. Beides hält Feuchtigkeit fest und bremst die \
Retrogradation. Deshalb bleibt Kuchen länger weich und nimmt bei feuchter Lagerung eher noch Wasser \
auf.
Tipp: Brot nicht im Kühlschrank lagern, dort läuft der Vorgang am schnellsten ab. Besser ist ein \
Brotkasten bei Zimmertemperatur. Altbackenes Brot kann man kurz im Ofen aufbacken, dann wird es \
wieder knusprig.
Hilfreich? 12 Daumen hoch
""",
    ),
    (
        "https://www.marmiton.org/recettes/recette_pate-a-crepes-facile_27121.aspx",
        [
            ["https://assets.marmiton.org/recipes/27121/pate-a-crepes-facile.jpg", "Pâte à crêpes facile"],
            ["https://assets.marmiton.org/users/avatar/julie-b.jpg", "Julie B."],
        ],
        """\
Pâte à crêpes facile
Préparation : 10 min
Repos : 1 h
Cuisson : 20 min
Pour 15 crêpes

Ingrédients
250 g de farine
4 œufs
50 cl de lait
1 pincée de sel
2 cuillères à soupe de sucre
50 g de beurre fondu

Préparation
Mettez la farine dans un saladier avec le sel et le sucre. Faites un puits au milieu et versez-y les \
œufs battus.
Commencez à mélanger doucement, puis ajoutez le lait petit à petit pour éviter les grumeaux. \
Incorporez le beurre fondu.
Laissez reposer la pâte une heure à température ambiante.
Faites chauffer une poêle légèrement huilée. Versez une petite louche de pâte, inclinez la poêle \
pour bien la répartir et laissez cuire une minute de chaque côté.

Note de l'auteur
Un peu de rhum ou de fleur d'oranger dans la pâte, et c'est encore meilleur !
""",
    ),
    (
        "https://www.boulangerie-dupont-lyon.fr/nos-horaires",
        [],
        """\
Boulangerie Dupont – Horaires et accès
Nous vous accueillons du mardi au samedi de 6 h 30 à 19 h 30, et le dimanche de 7 h à 13 h. La \
boutique est fermée le lundi.
Pendant les vacances d'été, la boulangerie ferme trois semaines en août. Les dates exactes sont \
affichées en vitrine et publiées sur notre page d'accueil dès le mois de juin.

Commandes
Pour les gâteaux d'anniversaire, les pièces montées et les grandes quantités de viennoiseries, \
merci de passer commande au moins 48 heures à l'avance, en boutique ou par téléphone.

Accès
La boulangerie se trouve à deux minutes à pied de l'arrêt de tramway, au coin de la place du \
marché. Un parking gratuit est disponible juste derrière l'église.
Nos pains sont façonnés à la main chaque matin avec des farines issues de moulins de la région.
""",
    ),
    (
        "https://www.bbc.co.uk/news/technology-62345678",
        [
            [
                "https://ichef.bbci.co.uk/news/976/cpsprodpb/1A2B/production/_126001234_chargers.jpg",
                "A tangle of phone charging cables",
            ],
        ],
        """\
Why your old phone charger might soon work with everything
A push towards a single charging port for phones, tablets and other small electronics is gathering \
pace.
For years, drawers around the country have filled up with tangled cables that fit one device but \
not the next. Campaigners have long argued that the mess is not just annoying but wasteful, with \
millions of chargers thrown away each year.
Most new Android phones already use the same connector, known as USB-C, and many laptops, \
headphones and games controllers have followed. Supporters of a common standard say consumers \
would be able to buy a device without a charger in the box and use the one they already own.
Critics argue that fixing a single standard in law could slow down innovation if a better \
connector is invented.
For now, experts suggest holding on to good-quality USB-C cables, and checking the wattage of a \
charger before using it with a laptop.
""",
    ),
    (
        "https://www.theguardian.com/food/2022/jul/02/summer-tomato-salad-recipe",
        [],
        """\
A summer tomato salad that makes the most of very little
Ripe tomatoes need almost nothing, which is exactly why they are so easy to get wrong
Sat 2 Jul 2022 09.00 BST

The best tomato salad I ever ate was on a plastic table at a roadside cafe, and it contained \
nothing but tomatoes, salt, oil and a few torn basil leaves. The secret, the owner told me, was \
patience.
Slice the tomatoes thickly, spread them on a plate and salt them generously. Leave them for 15 \
minutes. The salt draws out the juices and concentrates the flavour, and those juices become part \
of the dressing.
Only then add the oil, a good fruity one, and a splash of red wine vinegar if your tomatoes are not \
quite at their peak. Finish with basil, or with thinly sliced shallot and a few capers if you want \
something sharper.
Never refrigerate tomatoes you plan to eat raw. The cold dulls their flavour and turns the flesh \
mealy.

Serves 4 as a side
600g ripe tomatoes, mixed sizes
1 tsp flaky sea salt
4 tbsp extra virgin olive oil
1 tsp red wine vinegar (optional)
A handful of basil leaves
""",
    ),
    (
        "https://apnews.com/article/wildfire-smoke-air-quality-health-tips-2b7e9a1f0c3d4e5f",
        [],
        """\
What to know about wildfire smoke and how to protect yourself
Wildfire smoke can travel hundreds of miles, and health officials say even people far from the \
flames should take precautions when air quality worsens.
The greatest concern is fine particulate matter, tiny particles that can travel deep into the \
lungs. Children, older adults, pregnant people and anyone with heart or lung disease are most at \
risk.
Check local air quality readings before spending time outdoors. When levels are high, keep windows \
and doors closed, run an air purifier if you have one, and avoid strenuous exercise outside.
Cloth and surgical masks offer little protection against fine smoke particles. A well-fitting N95 \
or similar respirator is much more effective, officials say.
If you have no air conditioning and your home becomes hot and smoky, consider spending the day at \
a library, shopping center or designated clean air center.
""",
    ),
    (
        "https://stackoverflow.com/questions/61829455/pandas-groupby-how-to-keep-the-other-columns",
        [],
        """\
Pandas groupby: how to keep the other columns?
I have a DataFrame with columns customer, order_date and amount. I want the row with the largest \
amount for each customer, but when I do df.groupby('customer')['amount'].max() I only get the \
amounts and lose the dates.
python pandas dataframe group-by

Answer
Use idxmax to get the index of the maximum row in each group, then select those rows with loc:
idx = df.groupby('customer')['amount'].idxmax()
result = df.loc[idx]
This returns the complete rows, so order_date and any other columns are kept.
If there can be ties and you want all of them, compare each value to the group maximum instead:
result = df[df['amount'] == df.groupby('customer')['amount'].transform('max')]
Both approaches keep the original index; add .reset_index(drop=True) if you want a clean one.
answered May 16, 2020 at 8:12
""",
    ),
    (
        "https://askubuntu.com/questions/1402145/how-do-i-find-out-which-process-is-listening-on-a-port",
        [],
        """\
How do I find out which process is listening on a port?
Something is already using port 8080 on my machine and my development server refuses to start. How \
can I find out what it is?
networking ports

Answer
Use ss, which is installed by default:
sudo ss -ltnp 'sport = :8080'
The -l flag shows listening sockets, -t limits the output to TCP, -n shows numeric ports instead of \
service names, and -p shows the process that owns each socket. You need sudo to see processes \
belonging to other users.
Alternatively, lsof gives a similar answer:
sudo lsof -i :8080
Once you know the process ID, you can stop it with kill followed by the PID, or find out which \
service started it with systemctl status and the PID.
answered Apr 12, 2022 at 16:40
""",
    ),
    (
        "https://www.reddit.com/r/homeautomation/comments/w1k3pz/is_zigbee_still_worth_it_in_2022/",
        [],
        """\
Is Zigbee still worth it in 2022?
r/homeautomation
Posted by u/lamp_post_kid
Starting from scratch in a new flat. I keep reading that Matter is going to change everything, so \
is it worth buying Zigbee sensors now or should I wait?

Buy what works today. Zigbee devices are cheap, reliable and the coordinator you buy now will keep \
working whatever happens with new standards.
Agree. I've had about 40 Zigbee devices for three years. Battery sensors last ages and the mesh \
gets better the more mains-powered devices you add.
One tip: put your coordinator on a short USB extension cable away from the computer. USB 3 ports \
can interfere with the 2.4 GHz signal and cause weird dropouts.
Waiting for the next big thing is a trap. There's always a next big thing.
""",
    ),
    (
        "https://medium.com/@amara.n/writing-documentation-people-actually-read-9f2d6c1e4b80",
        [
            ["https://miro.medium.com/v2/resize:fill:88:88/1*kq3Zb8rT0dS9yXh2mP4wNA.jpeg", "Amara N."],
        ],
        """\
Writing documentation people actually read
Amara N.
Jun 14, 2022 · 6 min read
Most internal documentation is written once, read twice and trusted never. After years of \
maintaining wikis that nobody opened, here is what finally worked for our team.
Start with the question, not the system. People arrive at documentation because they are trying \
to do something. A page called "Deploying a hotfix" will be read; a page called "Release \
infrastructure overview" will not.
Put the commands first. If a reader needs to run three commands, show those three commands at the \
top and explain them afterwards.
Date everything. A visible "last checked" date tells readers how much to trust what follows, and \
gives maintainers a reason to revisit.
Delete with confidence. An outdated page is worse than a missing one, because it sends people \
confidently in the wrong direction.
None of this is complicated. The hard part is treating documentation as part of the work rather \
than a chore for the end of the project.
""",
    ),
    (
        "https://leavesandladders.wordpress.com/2022/05/21/building-a-raised-bed-from-old-scaffold-boards/",
        [
            [
                "https://leavesandladders.files.wordpress.com/2022/05/raised-bed-finished.jpg?w=1024",
                "The finished raised bed",
            ],
        ],
        """\
Building a raised bed from old scaffold boards
May 21, 2022 · leavesandladders
A builder down the road was throwing out a pile of old scaffold boards last month, and after a \
polite knock on the door I came home with eight of them in the back of the car.
Scaffold boards are ideal for raised beds: they are thick, usually untreated and about the right \
length to cut in half. I made a bed 1.9 metres by 1 metre, two boards high, held together with four \
lengths of fence post in the corners and long exterior screws.

A few things I learned along the way:
Check the boards for old nails before cutting. I found three the hard way.
Line the sides with cardboard or old compost bags to slow the wood rotting.
Fill the bottom with woody prunings and rough compost to save on topsoil.

Total cost was about £25 for screws, posts and a few bags of compost. The first courgettes are \
already in.
""",
    ),
    (
        "https://thegrumpycyclist.blogspot.com/2022/03/why-i-finally-bought-mudguards.html",
        [],
        """\
Why I finally bought mudguards
Saturday, 12 March 2022
For years I refused to fit mudguards to my bike on the grounds that they rattle, they look ugly \
and real cyclists don't need them. This winter cured me.
After the third week of arriving at work with a brown stripe up my back and grit in my teeth, I \
gave in and bought a cheap set of clip-on guards. Reader, they changed my life.
Full-length guards are better than the clip-on kind, but my frame has no eyelets, so clip-ons it \
was. They do rattle a bit on rough roads. I have learned to live with it.
The bigger surprise was how much cleaner the bike stayed. The chain lasts longer, the brakes squeal \
less and I spend far less time with a bucket and brush on Sunday mornings.
So there you are. I was wrong. Fit mudguards.
Posted by Grumpy Cyclist at 09:15 | 5 comments
""",
    ),
    (
        "https://www.gov.uk/guidance/planning-permission-garden-outbuildings",
        [],
        """\
Planning permission: garden outbuildings
Sheds, greenhouses, summer houses and similar buildings in a garden are often allowed without a \
full planning application, under what are called permitted development rights.

When you probably will not need permission
An outbuilding is normally permitted development if:
it is single storey
it is not in front of the main wall of the house facing the road
it takes up no more than half the area of land around the original house
it is no more than 2.5 metres high if it is within 2 metres of a boundary

When you may need permission
Different rules can apply if your home is a listed building, in a conservation area or a national \
park, or if your permitted development rights have been removed by a condition on an earlier \
planning permission.
Outbuildings cannot be used as separate living accommodation without planning permission.
Check with your local planning authority if you are unsure. Building regulations may also apply, \
depending on the size of the building and what it is made from.
""",
    ),
    (
        "https://www.nasa.gov/planetarydefense/how-do-scientists-find-near-earth-asteroids",
        [
            [
                "https://www.nasa.gov/sites/default/files/thumbnails/image/neo_survey_telescope.jpg",
                "A survey telescope dome at night",
            ],
        ],
        """\
How Do Scientists Find Near-Earth Asteroids?
Near-Earth objects are asteroids and comets whose orbits bring them within about 50 million \
kilometers of Earth's orbit. Most are harmless, but finding them early gives scientists time to \
work out whether any could pose a risk in the future.
Survey telescopes scan large parts of the night sky several times a night. Software compares the \
images and looks for points of light that move against the background stars. When a new moving \
object is found, its positions are reported to the Minor Planet Center, and observers around the \
world follow up to refine its orbit.
With enough observations, orbits can be predicted decades or even centuries ahead. Objects that \
could come particularly close are monitored more closely, and their impact probabilities are \
updated as new data arrive.
The DART mission was designed to test whether a spacecraft could change an asteroid's motion by \
deliberately colliding with a small moonlet that posed no threat to Earth.
""",
    ),
    (
        "https://web.mit.edu/urbansoil-lab/news/summer-undergraduate-projects.html",
        [],
        """\
Lab news: summer undergraduate research projects
We are looking for two undergraduates to join the group over the summer to work on low-cost \
sensors for measuring soil moisture in urban gardens.

Projects
Sensor calibration: build a test rig to compare inexpensive capacitive sensors against laboratory \
measurements across different soil types.
Data pipeline: write software that collects readings from a network of sensors over a low-power \
radio link and displays them on a simple web dashboard.

What we expect
Students should be comfortable with basic programming. Experience with microcontrollers or data \
analysis is welcome but not required. Projects run for ten weeks, and students present their \
results at the group meeting at the end of the summer.

How to apply
Send a short note describing your interests and any relevant coursework to the lab administrator. \
Applications are reviewed on a rolling basis until both positions are filled.
""",
    ),
    (
        "https://www.ox.ac.uk/visitors/botanic-garden/family-visits",
        [],
        """\
Family visits
The Botanic Garden is a wonderful place for children to explore. Founded in 1621, it is the oldest \
botanic garden in Britain, and it holds thousands of different kinds of plants from around the \
world.

Things to do
Pick up a free family trail from the entrance and follow the clues around the garden.
Visit the glasshouses to see carnivorous plants, giant water lilies and cacti from the desert.
Look for ducks and dragonflies around the water garden in summer.

Good to know
Children's tickets are discounted, and a family ticket is available. Buggies are welcome throughout \
the outdoor garden, but space is limited in some of the smaller glasshouses, so you may be asked to \
leave them outside.
Picnics can be eaten on the lawns, but please do not climb trees or pick any plants.
""",
    ),
    (
        "https://docs.python.org/3/howto/logging-small-scripts.html",
        [],
        """\
Logging in small scripts
For a short script, the simplest way to start using logging is to call basicConfig once, near the \
top of the program, and then use the module-level functions:
import logging
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
logging.info("Starting import of %d files", len(paths))
Messages below the configured level are discarded, so changing one argument is enough to switch \
between quiet and verbose output.

In a library, do not call basicConfig. Instead, create a logger named after the module:
logger = logging.getLogger(__name__)
and leave it to the application to decide where messages go and which levels are shown.
Note that basicConfig does nothing if the root logger already has handlers configured, unless \
force=True is passed. This often surprises people who call it twice.
""",
    ),
    (
        "https://developer.mozilla.org/en-US/docs/Web/CSS/aspect-ratio",
        [],
        """\
aspect-ratio
The aspect-ratio CSS property sets a preferred width-to-height ratio for a box. When only one of \
width or height is set, the browser works out the other from the ratio.

Syntax
aspect-ratio: 16 / 9;
aspect-ratio: 1;
aspect-ratio: auto 4 / 3;

Values
A ratio is written as two positive numbers separated by a slash. A single number is treated as \
that number divided by 1. The keyword auto means that replaced elements such as images use their \
own intrinsic ratio, and the given ratio is used only as a fallback.

Example
A common use is to reserve space for embedded video before it loads, which stops the page from \
jumping around:
.video-frame {
  width: 100%;
  aspect-ratio: 16 / 9;
}

Browser compatibility
Supported in all modern browsers.
""",
    ),
    (
        "https://www.harboursidekayaks.co.uk/tours/sunset-paddle?utm_source=newsletter&utm_medium=email",
        [
            [
                "https://www.harboursidekayaks.co.uk/images/tours/sunset-paddle-lighthouse.jpg",
                "Kayakers paddling towards the lighthouse at sunset",
            ],
        ],
        """\
Sunset Paddle Tour
Join us for a relaxed two-hour paddle along the harbour and out to the old lighthouse as the sun \
goes down.

Who is it for?
No experience needed. Our guides give a full safety briefing and a short lesson on the beach before \
we set off, and we use stable sit-on-top kayaks that are easy to get on and off.

What's included
Kayak, paddle and buoyancy aid
Wetsuit hire on request
Hot chocolate on the beach afterwards

Ages and numbers
Minimum age 12; under-16s must paddle with an adult. Groups are limited to ten people per guide.

Price
£45 per adult, £35 per child
Tours run from May to September, weather permitting. If we cancel because of wind or swell, you can \
choose a full refund or move to another date.
""",
    ),
    (
        "https://www.woolandwillow.co.uk/products/merino-rib-beanie?variant=40211983",
        [
            [
                "https://www.woolandwillow.co.uk/cdn/shop/products/merino-beanie-charcoal_800x.jpg",
                "Merino Rib Beanie in charcoal",
            ],
            ["https://www.woolandwillow.co.uk/cdn/shop/products/merino-beanie-detail_800x.jpg", ""],
        ],
        """\
Merino Rib Beanie — Charcoal
£24.00
Tax included. Shipping calculated at checkout.
Colour: Charcoal
Size: One size
Add to cart

Knitted from soft, fine merino wool in a classic rib, this beanie is warm without being bulky and \
won't itch like ordinary wool. The deep turn-up can be worn folded or slouchy.

Details
100% merino wool
Hand wash cold or machine wash on a wool cycle
Made in a family-run mill in the north of England

Sizing
Stretchy rib fits most adult heads. Measures 23 cm flat, unstretched.
Free UK delivery on orders over £50. Returns accepted within 30 days on unworn items with tags \
attached.
""",
    ),
    (
        "https://www.simplyweeknightcooking.com/recipes/one-pot-red-lentil-curry/",
        [],
        """\
One-Pot Red Lentil Curry
Prep: 10 minutes | Cook: 25 minutes | Serves: 4
This is the curry I make when the fridge is almost empty. Red lentils cook quickly and break down \
into a thick, creamy sauce, and everything happens in one pot.

Ingredients
1 tbsp oil
1 onion, chopped
3 cloves garlic, crushed
a thumb of ginger, grated
2 tbsp curry paste
250g red lentils, rinsed
1 can (400g) chopped tomatoes
1 can (400ml) coconut milk
500ml vegetable stock
a big handful of spinach
juice of half a lemon

Method
Soften the onion in the oil for 5 minutes. Add the garlic, ginger and curry paste and cook for \
another minute until fragrant.
Stir in the lentils, tomatoes, coconut milk and stock. Simmer for 20 minutes, stirring now and \
then, until the lentils are soft.
Stir in the spinach until wilted, add the lemon juice and season to taste. Serve with rice or \
flatbreads.
""",
    ),
    (
        "https://www.thelocalgazette.co.uk/news/community/allotment-waiting-list-doubles-3817264",
        [],
        """\
Allotment waiting list doubles as more residents turn to growing their own
The number of people waiting for an allotment in the town has doubled in two years, with some \
applicants told they could wait until 2025 for a plot.
The council manages four allotment sites with around 320 plots in total. Its latest figures show \
410 names on the waiting list, compared with just over 200 in spring 2020.
Site representatives say interest rose sharply during the pandemic and has stayed high as food \
prices have climbed. To help, some larger plots are being split in half when they become free, \
allowing two new tenants to start.
"People don't always realise how much work a full plot is," said the secretary of one allotment \
association. "Half plots are a good way to start without feeling overwhelmed."
The council says it is looking at whether a corner of an unused playing field could become a fifth \
site.
""",
    ),
]
